import Foundation

/// Runs shell pipelines over the built binaries and captures what they print.
enum Shell {
    /// The directory holding the built executables: `IRPO_BIN`, else the directory of the test
    /// bundle (the build products directory, where SwiftPM puts `grade`, `pair` and `eval`).
    static let binDir: String = {
        if let dir = ProcessInfo.processInfo.environment["IRPO_BIN"], !dir.isEmpty { return dir }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        // On Linux argv[0] is the .xctest executable; on macOS it may sit inside the bundle.
        while url.path != "/" && !FileManager.default.isExecutableFile(atPath: url.deletingLastPathComponent().appendingPathComponent("grade").path) {
            url = url.deletingLastPathComponent()
        }
        return url.deletingLastPathComponent().path
    }()

    struct Result {
        var out: String
        var err: String
        var status: Int32
    }

    /// Runs `script` with `/bin/sh -c` in a fresh temporary directory, with `$BIN` set to the
    /// binaries' directory and standard input from `stdin`; `bytes` are files that need not be
    /// UTF-8 (bad input).
    static func run(_ script: String, stdin: String = "", files: [String: String] = [:],
                    bytes: [String: [UInt8]] = [:]) throws -> Result {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try run(script, in: dir, stdin: stdin, files: files, bytes: bytes)
    }

    /// `run` in a directory the caller owns and keeps, for tests that work on its files between runs.
    static func run(_ script: String, in dir: String, stdin: String = "", files: [String: String] = [:],
                    bytes: [String: [UInt8]] = [:]) throws -> Result {
        for (name, content) in files {
            try content.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
        for (name, content) in bytes {
            try Data(content).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        try stdin.write(toFile: dir + "/.stdin", atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: dir + "/.stdout", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/.stderr", contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        var env = ProcessInfo.processInfo.environment
        env["BIN"] = binDir
        p.environment = env
        let input = FileHandle(forReadingAtPath: dir + "/.stdin")!
        let output = FileHandle(forWritingAtPath: dir + "/.stdout")!
        let error = FileHandle(forWritingAtPath: dir + "/.stderr")!
        p.standardInput = input
        p.standardOutput = output
        p.standardError = error
        try p.run()
        p.waitUntilExit()
        try? input.close(); try? output.close(); try? error.close()
        let out = try String(contentsOfFile: dir + "/.stdout", encoding: .utf8)
        let err = try String(contentsOfFile: dir + "/.stderr", encoding: .utf8)
        return Result(out: out, err: err, status: p.terminationStatus)
    }

    /// Starts a built command directly, no shell between, so that a signal sent to it reaches
    /// it alone; standard output goes to `stdout` in `dir` when given, else nowhere.
    static func launch(_ command: String, _ arguments: [String], in dir: String, stdout: String? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binDir + "/" + command)
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.standardInput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        var output: FileHandle?
        if let stdout {
            _ = FileManager.default.createFile(atPath: dir + "/" + stdout, contents: nil)
            output = FileHandle(forWritingAtPath: dir + "/" + stdout)
        }
        p.standardOutput = output ?? FileHandle.nullDevice
        try p.run()
        try? output?.close()  // the child has its own copy
        return p
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "irpo-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The parts of a script's output that start with "== NAME" lines, by name, each trimmed.
    static func sections(_ out: String) -> [String: String] {
        Dictionary(uniqueKeysWithValues: out.components(separatedBy: "== ").dropFirst().map { part in
            let nl = part.firstIndex(of: "\n") ?? part.endIndex
            return (String(part[..<nl]), String(part[nl...]).trimmingCharacters(in: .whitespacesAndNewlines))
        })
    }

    /// The package root, for the man pages.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
