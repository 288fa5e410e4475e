// The only file that imports CArchive: every libarchive status code becomes a thrown Swift
// error carrying libarchive's own message, so no caller ever sees a C return value.
import CArchive
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file that could not be opened, read or decompressed; names the path ("-" is standard input).
public struct InputError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let message: String

    /// An error about `path`.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path == "-" ? "standard input" : path): \(message)" }
}

/// Bytes of a file or standard input ("-"), with gzip, xz and zstd undone transparently.
///
/// Compression is told by magic bytes, not by name. Plain input is passed through with read(2)
/// so that a slow pipe delivers each line as it arrives; only compressed input goes through
/// libarchive, which would otherwise wait to fill its blocks.
public final class DecompressingReader {
    /// The path as given, for messages.
    public let path: String
    private var fd: Int32
    private let ownsFD: Bool
    private var source: FDSource?
    private var archive: OpaquePointer?
    private var mode: Mode = .undecided
    private var pending: [UInt8] = []
    private var pendingStart = 0
    /// The rest of the decompressed block libarchive last returned (valid until the next call).
    private var blockStart: UnsafeRawPointer?
    private var blockLeft = 0

    private enum Mode { case undecided, plain, compressed, finished }

    /// Magic numbers of the streams we undo: gzip, xz, zstd.
    private static let magics: [[UInt8]] = [
        [0x1F, 0x8B],
        [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00],
        [0x28, 0xB5, 0x2F, 0xFD],
    ]

    /// Opens `path` ("-" = standard input); errors name the path.
    public init(path: String) throws {
        self.path = path
        if path == "-" {
            fd = STDIN_FILENO
            ownsFD = false
        } else {
            fd = try openForReading(path)
            ownsFD = true
        }
    }

    deinit { close() }

    /// Fills `buffer` with the next bytes and returns how many; 0 at end of input.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if buffer.count == 0 { return 0 }
        if mode == .undecided { try decide() }
        switch mode {
        case .undecided, .finished:
            return 0
        case .plain:
            if pendingStart < pending.count {
                let n = min(buffer.count, pending.count - pendingStart)
                pending.withUnsafeBytes { bytes in
                    buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + pendingStart, byteCount: n)
                }
                pendingStart += n
                if pendingStart == pending.count { pending = []; pendingStart = 0 }
                return n
            }
            while true {
                let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if n >= 0 { return n }
                if errno == EINTR { continue }
                throw InputError(path: path, message: String(cString: strerror(errno)))
            }
        case .compressed:
            guard let archive else { return 0 }
            // Block by block: archive_read_data would drop the bytes it had already
            // decompressed into `buffer` when the stream turns out corrupt further on, and with
            // them every whole line before the damage.
            while blockLeft == 0 {
                var block: UnsafeRawPointer?
                var size = 0
                var offset: la_int64_t = 0
                let status = archive_read_data_block(archive, &block, &size, &offset)
                if status == ARCHIVE_EOF { mode = .finished; return 0 }
                if status == ARCHIVE_RETRY { continue }
                if status < ARCHIVE_WARN { throw decompressionError(archive) }
                blockStart = block
                blockLeft = block == nil ? 0 : size
            }
            let n = min(buffer.count, blockLeft)
            buffer.baseAddress!.copyMemory(from: blockStart!, byteCount: n)
            blockStart = blockStart! + n
            blockLeft -= n
            return n
        }
    }

    /// Releases the file and libarchive's state; further reads return 0.
    public func close() {
        if let archive { archive_read_free(archive) }
        archive = nil
        source = nil
        if ownsFD && fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
        mode = .finished
    }

    /// Reads until the first bytes either match a magic number or cannot begin one.
    private func decide() throws {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if Self.magics.contains(where: { pending.count >= $0.count && pending.starts(with: $0) }) {
                try startDecompressing()
                return
            }
            if !Self.magics.contains(where: { $0.starts(with: pending) }) {
                mode = .plain
                return
            }
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError(path: path, message: String(cString: strerror(errno)))
            }
            if n == 0 {
                mode = .plain
                return
            }
            pending.append(contentsOf: chunk[0..<n])
        }
    }

    private func startDecompressing() throws {
        guard let a = archive_read_new() else { throw InputError(path: path, message: "out of memory") }
        archive = a
        let source = FDSource(fd: fd, initial: pending)
        self.source = source
        pending = []
        archive_read_support_filter_all(a)
        archive_read_support_format_raw(a)
        archive_read_support_format_empty(a)
        let opened = archive_read_open(a, Unmanaged.passUnretained(source).toOpaque(), nil, { _, client, out in
            let source = Unmanaged<FDSource>.fromOpaque(client!).takeUnretainedValue()
            return la_ssize_t(source.next(out!))
        }, nil)
        if opened != ARCHIVE_OK { throw decompressionError(a) }
        var entry: OpaquePointer?
        let status = archive_read_next_header(a, &entry)
        if status == ARCHIVE_EOF {
            mode = .finished
            return
        }
        if status < ARCHIVE_WARN { throw decompressionError(a) }
        // No filter recognised the stream: the magic number lied, and the raw format would
        // otherwise hand back the corrupt bytes as if they were the content.
        if archive_filter_count(a) <= 1 || archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE {
            throw InputError(path: path, message: "corrupt compressed data (no decompressor accepts the header)")
        }
        mode = .compressed
    }

    private func decompressionError(_ a: OpaquePointer) -> InputError {
        if let source, source.readErrno != 0 {
            return InputError(path: path, message: String(cString: strerror(source.readErrno)))
        }
        return InputError(path: path, message: "corrupt compressed data: \(libarchiveMessage(a))")
    }
}

/// Feeds libarchive from a descriptor, first replaying the bytes already read to sniff the magic.
private final class FDSource {
    let fd: Int32
    var initial: [UInt8]
    var readErrno: Int32 = 0
    let capacity = 64 * 1024
    let buffer: UnsafeMutableRawPointer

    init(fd: Int32, initial: [UInt8]) {
        self.fd = fd
        self.initial = initial
        buffer = .allocate(byteCount: max(capacity, initial.count), alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// libarchive's read callback: points `out` at the next bytes and returns their count.
    func next(_ out: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        out.pointee = UnsafeRawPointer(buffer)
        if !initial.isEmpty {
            let n = initial.count
            initial.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: n) }
            initial = []
            return n
        }
        while true {
            let n = Glibc.read(fd, buffer, capacity)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            readErrno = errno
            return -1
        }
    }
}

private func libarchiveMessage(_ a: OpaquePointer) -> String {
    if let cString = archive_error_string(a) { return String(cString: cString) }
    return "libarchive error \(archive_errno(a))"
}

/// Opens a file read-only, retrying on EINTR; errors name the path.
func openForReading(_ path: String) throws -> Int32 {
    while true {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { return fd }
        if errno == EINTR { continue }
        throw InputError(path: path, message: String(cString: strerror(errno)))
    }
}

// MARK: tar bundles

/// One member of a tar bundle as libarchive reports it.
struct ArchiveMember {
    var path: String
    var isRegularFile: Bool
    var size: Int64
}

/// Reads the members of a tar (optionally compressed by any filter libarchive knows) in order.
final class TarReader {
    let path: String
    private var archive: OpaquePointer?

    init(path: String) throws {
        self.path = path
        guard let a = archive_read_new() else { throw InputError(path: path, message: "out of memory") }
        archive = a
        archive_read_support_filter_all(a)
        archive_read_support_format_tar(a)
        archive_read_support_format_gnutar(a)
        if archive_read_open_filename(a, path, 64 * 1024) != ARCHIVE_OK {
            let error = InputError(path: path, message: libarchiveMessage(a))
            close()
            throw error
        }
    }

    deinit { close() }

    /// The next member's header, or nil at the end of the bundle.
    func next() throws -> ArchiveMember? {
        guard let a = archive else { return nil }
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(a, &entry)
            if status == ARCHIVE_EOF { return nil }
            if status == ARCHIVE_RETRY { continue }
            if status < ARCHIVE_WARN { throw InputError(path: path, message: "not a readable tar bundle: \(libarchiveMessage(a))") }
            break
        }
        guard let entry else { return nil }
        let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        let type = archive_entry_filetype(entry)
        return ArchiveMember(path: name, isRegularFile: type == 0o100000, size: archive_entry_size(entry))
    }

    /// Copies the current member's bytes into `buffer`; 0 at its end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let a = archive else { return 0 }
        while true {
            let n = archive_read_data(a, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if n == ARCHIVE_RETRY { continue }
            throw InputError(path: path, message: "truncated or corrupt bundle: \(libarchiveMessage(a))")
        }
    }

    /// The whole current member.
    func readAll() throws -> Data {
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return data }
            data.append(contentsOf: chunk[0..<n])
        }
    }

    func close() {
        if let archive { archive_read_free(archive) }
        archive = nil
    }
}

/// How a written tar bundle is compressed.
enum BundleCompression: Sendable {
    case none, gzip, xz, zstd
}

/// Writes a tar bundle (pax, optionally compressed) to a descriptor the caller owns and syncs.
final class TarWriter {
    let path: String
    private var archive: OpaquePointer?

    /// `path` is only for messages; the bytes go to `fd`.
    init(fd: Int32, path: String, compression: BundleCompression) throws {
        self.path = path
        guard let a = archive_write_new() else { throw InputError(path: path, message: "out of memory") }
        archive = a
        var status = archive_write_set_format_pax_restricted(a)
        if status == ARCHIVE_OK {
            switch compression {
            case .none: break
            case .gzip: status = archive_write_add_filter_gzip(a)
            case .xz: status = archive_write_add_filter_xz(a)
            case .zstd: status = archive_write_add_filter_zstd(a)
            }
        }
        if status == ARCHIVE_OK { status = archive_write_open_fd(a, fd) }
        if status != ARCHIVE_OK {
            let error = InputError(path: path, message: "cannot write bundle: \(libarchiveMessage(a))")
            archive_write_free(a)
            archive = nil
            throw error
        }
    }

    deinit {
        if let archive { archive_write_free(archive) }
    }

    /// Starts a regular file of exactly `size` bytes, which must follow through `write`.
    func beginFile(_ name: String, size: Int) throws {
        try writeHeader(name, type: 0o100000, permissions: 0o644, size: size)
    }

    /// Starts a directory member.
    func addDirectory(_ name: String) throws {
        try writeHeader(name, type: 0o040000, permissions: 0o755, size: nil)
    }

    /// Writes a member's header: its name, type and permission bits, size (a regular file's) and the time now.
    private func writeHeader(_ name: String, type: UInt32, permissions: UInt32, size: Int?) throws {
        guard let a = archive else { return }
        guard let entry = archive_entry_new() else { throw InputError(path: path, message: "out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, name)
        archive_entry_set_filetype(entry, type)
        archive_entry_set_perm(entry, permissions)
        if let size { archive_entry_set_size(entry, la_int64_t(size)) }
        archive_entry_set_mtime(entry, time(nil), 0)
        try check(archive_write_header(a, entry), a, "cannot write \(name)")
    }

    /// Appends bytes to the current file.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let a = archive, var base = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = archive_write_data(a, base, left)
            if n <= 0 { throw InputError(path: path, message: "cannot write bundle: \(libarchiveMessage(a))") }
            base += n
            left -= n
        }
    }

    /// Flushes the compressor and the tar trailer; the caller then syncs and closes the descriptor.
    func finish() throws {
        guard let a = archive else { return }
        try check(archive_write_close(a), a, "cannot finish bundle")
        archive_write_free(a)
        archive = nil
    }

    private func check(_ status: Int32, _ a: OpaquePointer, _ what: String) throws {
        if status < ARCHIVE_WARN { throw InputError(path: path, message: "\(what): \(libarchiveMessage(a))") }
    }
}
