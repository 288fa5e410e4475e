import Foundation
import Testing
import IRPOCore
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under the system temporary directory, removed by the caller.
func makeTempDir() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("irpo-ckpt-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs a command-line tool with the shell, as the compressed fixtures are made by the real tools.
func shell(_ command: String) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    try p.run()
    p.waitUntilExit()
    if p.terminationStatus != 0 { throw ShellError(command: command, status: p.terminationStatus) }
}

struct ShellError: Error { var command: String; var status: Int32 }

/// Everything a reader yields, read in small chunks to exercise the partial-read paths.
func readAll(_ reader: DecompressingReader, chunk: Int = 7) throws -> Data {
    var out = Data()
    var buffer = [UInt8](repeating: 0, count: chunk)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
        if n == 0 { return out }
        out.append(contentsOf: buffer[0..<n])
    }
}

/// gzip, xz and zstd are undone by magic number; plain input and pipes stream through read(2).
@Suite struct DecompressingReaderTests {
    static let text = (1...2000).map { "{\"id\": \($0), \"question\": \"what is \($0) + \($0)?\"}\n" }.joined()

    @Test(arguments: ["gzip", "xz", "zstd -q"])
    func decompresses(_ tool: String) throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("data.jsonl")
        try Data(Self.text.utf8).write(to: plain)
        // The name says nothing: detection must come from the bytes.
        let packed = dir.appendingPathComponent("packed.bin")
        try shell("\(tool) -c '\(plain.path)' > '\(packed.path)'")
        let reader = try DecompressingReader(path: packed.path)
        defer { reader.close() }
        #expect(try readAll(reader) == Data(Self.text.utf8))
        #expect(try readAll(reader).isEmpty)
    }

    /// `cat a.gz b.gz` is a valid gzip stream of both contents, as gzip itself reads it.
    @Test func concatenatedGzipMembersAreAllRead() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("both.gz")
        try shell("cd '\(dir.path)' && printf 'first\\n' | gzip -c > '\(file.path)' && printf 'second\\n' | gzip -c >> '\(file.path)'")
        #expect(try readAll(try DecompressingReader(path: file.path)) == Data("first\nsecond\n".utf8))
    }

    @Test func plainFilePassesThrough() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("data.jsonl.gz")  // a lying name
        try Data(Self.text.utf8).write(to: plain)
        let reader = try DecompressingReader(path: plain.path)
        #expect(try readAll(reader, chunk: 4096) == Data(Self.text.utf8))
    }

    @Test func shortPlainInputThatStartsLikeAMagicNumber() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("x")
        try Data([0x1F]).write(to: file)
        #expect(try readAll(try DecompressingReader(path: file.path)) == Data([0x1F]))
        try Data([0xFD, 0x37, 0x7A, 0x0A]).write(to: file)
        #expect(try readAll(try DecompressingReader(path: file.path)) == Data([0xFD, 0x37, 0x7A, 0x0A]))
    }

    @Test(arguments: ["plain", "gzip"])
    func emptyInputIsEmpty(_ kind: String) throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("empty")
        if kind == "plain" {
            try Data().write(to: file)
        } else {
            try shell("gzip -c < /dev/null > '\(file.path)'")
        }
        #expect(try readAll(try DecompressingReader(path: file.path)).isEmpty)
    }

    @Test func emptyXzAndZstdStreamsAreEmpty() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        for tool in ["xz", "zstd -q"] {
            let file = dir.appendingPathComponent("empty")
            try shell("\(tool) -c < /dev/null > '\(file.path)'")
            #expect(try readAll(try DecompressingReader(path: file.path)).isEmpty, "\(tool)")
        }
    }

    @Test func corruptGzipIsAnErrorNamingThePath() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("data.jsonl")
        try Data(Self.text.utf8).write(to: plain)
        let packed = dir.appendingPathComponent("bad.jsonl.gz")
        try shell("gzip -c '\(plain.path)' > '\(packed.path)'")
        var bytes = [UInt8](try Data(contentsOf: packed))
        for i in stride(from: 20, to: bytes.count - 8, by: 3) { bytes[i] ^= 0x5A }
        try Data(bytes).write(to: packed)
        let reader = try DecompressingReader(path: packed.path)
        let error = #expect(throws: InputError.self) { _ = try readAll(reader, chunk: 65536) }
        #expect(error?.description.contains(packed.path) == true)
    }

    @Test func truncatedGzipIsAnError() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("data.jsonl")
        try Data(Self.text.utf8).write(to: plain)
        let packed = dir.appendingPathComponent("cut.gz")
        try shell("gzip -c '\(plain.path)' | head -c 300 > '\(packed.path)'")
        let reader = try DecompressingReader(path: packed.path)
        #expect(throws: InputError.self) { _ = try readAll(reader, chunk: 65536) }
    }

    @Test func gzipMagicWithGarbageHeaderIsAnError() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("fake.gz")
        try Data([0x1F, 0x8B, 0xFF, 0xFF, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]).write(to: file)
        let reader = try DecompressingReader(path: file.path)
        let error = #expect(throws: InputError.self) { _ = try readAll(reader) }
        #expect(error?.description.contains(file.path) == true)
    }

    @Test func missingFileNamesThePath() {
        let error = #expect(throws: InputError.self) { _ = try DecompressingReader(path: "/nonexistent/irpo/x.jsonl") }
        #expect(error?.description.contains("/nonexistent/irpo/x.jsonl") == true)
    }

    /// A pipe fed one line at a time must yield that line before the writer sends the next.
    @Test func slowPipeDeliversEachLineAsItArrives() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let readEnd = fds[0], writeEnd = fds[1]
        // The reader opens the pipe by its /proc path, as a shell's process substitution would.
        let reader = try DecompressingReader(path: "/proc/self/fd/\(readEnd)")
        defer { reader.close(); Glibc.close(readEnd) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        for line in ["{\"a\":1}\n", "{\"b\":2}\n", "x\n"] {
            let bytes = Array(line.utf8)
            #expect(bytes.withUnsafeBytes { write(writeEnd, $0.baseAddress, $0.count) } == bytes.count)
            // Nothing more is written until this line has been read back: a reader waiting
            // for a full block would hang here.
            var got: [UInt8] = []
            while got.count < bytes.count {
                let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                #expect(n > 0)
                if n == 0 { break }
                got += buffer[0..<n]
            }
            #expect(got == bytes)
        }
        Glibc.close(writeEnd)
        #expect(try buffer.withUnsafeMutableBytes { try reader.read(into: $0) } == 0)
    }
}
