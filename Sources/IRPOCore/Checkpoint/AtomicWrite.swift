// Every checkpoint is written under a temporary name beside its target, synced, then renamed:
// a crash leaves the old checkpoint or the new one under the final name, never half of one.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum AtomicWrite {
    /// Writes `files` as the directory `path`, replacing an existing checkpoint directory there.
    static func directory(_ path: String, files: [OutputFile]) throws {
        let (parent, base) = split(path)
        let target = join(parent, base)
        try refuseToReplaceNonCheckpoint(target)
        removeStaleTemporaries(parent, base)
        let temp = join(parent, ".\(base).tmp-\(uniqueSuffix())")
        guard mkdir(temp, 0o755) == 0 else { throw posixError(target, "cannot create the temporary directory \(temp)") }
        do {
            for file in files {
                let filePath = join(temp, file.name)
                let fd = try create(filePath)
                do {
                    let sink = FileSink(fd: fd, display: join(target, file.name))
                    try file.write(to: sink)
                    try sink.flush()
                    try sync(fd, filePath)
                } catch {
                    close(fd)
                    throw error
                }
                close(fd)
            }
            try syncDirectory(temp)
            try swapIn(temp, over: target, parent: parent, base: base)
        } catch {
            try? FileManager.default.removeItem(atPath: temp)
            throw error
        }
    }

    /// Writes `files` as a tar bundle at `path`, each under `folder/`.
    static func bundle(_ path: String, files: [OutputFile], folder: String, compression: BundleCompression) throws {
        let (parent, base) = split(path)
        let target = join(parent, base)
        var info = stat()
        if stat(target, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw CheckpointError(file: target, "is a directory; a bundle would replace it")
        }
        removeStaleTemporaries(parent, base)
        let temp = join(parent, ".\(base).tmp-\(uniqueSuffix())")
        let fd = try create(temp)
        var isOpen = true
        do {
            let tar = try TarWriter(fd: fd, path: target, compression: compression)
            try tar.addDirectory(folder + "/")
            for file in files {
                try tar.beginFile(folder + "/" + file.name, size: file.size)
                try file.write(to: tar)
            }
            try tar.finish()
            try sync(fd, temp)
            close(fd)
            isOpen = false
            guard rename(temp, target) == 0 else { throw posixError(target, "cannot rename \(temp) to it") }
            try syncDirectory(parent)
        } catch {
            if isOpen { close(fd) }
            unlink(temp)
            throw CheckpointError.wrapping(error, file: target)
        }
    }

    /// Moves the finished `temp` to `target`; an old directory there is renamed away first and
    /// removed only once the new one is in place.
    private static func swapIn(_ temp: String, over target: String, parent: String, base: String) throws {
        var info = stat()
        guard lstat(target, &info) == 0 else {
            guard rename(temp, target) == 0 else { throw posixError(target, "cannot rename \(temp) to it") }
            try syncDirectory(parent)
            return
        }
        // One atomic exchange where the kernel has it: a kill at any moment leaves the old or
        // the new checkpoint under `target`, never neither (a resumable state must survive).
        if let exchange = renameExchange, exchange(AT_FDCWD, temp, AT_FDCWD, target, 1 << 1) == 0 {
            try syncDirectory(parent)
            try? FileManager.default.removeItem(atPath: temp)  // now the old checkpoint
            return
        }
        let old = join(parent, ".\(base).old-\(uniqueSuffix())")
        guard rename(target, old) == 0 else { throw posixError(target, "cannot move the old checkpoint aside") }
        guard rename(temp, target) == 0 else {
            let error = posixError(target, "cannot rename \(temp) to it")
            _ = rename(old, target)
            throw error
        }
        try syncDirectory(parent)
        // The new checkpoint is complete and durable; a failure to delete the old one only
        // leaves a hidden directory behind.
        try? FileManager.default.removeItem(atPath: old)
    }

    /// Linux's renameat2(2) (flag RENAME_EXCHANGE = 2), looked up at run time since the C
    /// library headers Swift imports do not declare it; nil elsewhere.
    private static let renameExchange: (@convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32)? = {
        #if os(Linux)
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32).self)
        #else
        return nil
        #endif
    }()

    /// Removes what a killed writer of `base` left beside it (`.BASE.tmp-PID-*`, `.BASE.old-PID-*`):
    /// a checkpoint-sized copy per kill would otherwise pile up. Only a dead PID's are removed,
    /// so a writer still running elsewhere keeps its own.
    static func removeStaleTemporaries(_ parent: String, _ base: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names {
            for kind in [".\(base).tmp-", ".\(base).old-"] where name.hasPrefix(kind) {
                let rest = name.dropFirst(kind.count)
                guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]), pid > 0 else { continue }
                if kill(pid, 0) != 0 && errno == ESRCH {
                    try? FileManager.default.removeItem(atPath: join(parent, name))
                }
            }
        }
    }

    /// Replacing a directory means deleting it: only do that to an empty one or a checkpoint.
    static func refuseToReplaceNonCheckpoint(_ target: String) throws {
        var info = stat()
        guard lstat(target, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw CheckpointError(file: target, "exists and is not a directory")
        }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []
        if !contents.isEmpty && !contents.contains("config.json") {
            throw CheckpointError(file: target, "exists and is not a checkpoint (no config.json); refusing to replace it")
        }
    }

    /// (parent directory, last component) of `path`, ignoring trailing slashes.
    static func split(_ path: String) -> (String, String) {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        guard let slash = p.lastIndex(of: "/") else { return (".", p) }
        let parent = String(p[..<slash])
        return (parent.isEmpty ? "/" : parent, String(p[p.index(after: slash)...]))
    }

    static func join(_ parent: String, _ name: String) -> String {
        parent == "." ? name : parent.hasSuffix("/") ? parent + name : parent + "/" + name
    }

    private static func uniqueSuffix() -> String {
        "\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    private static func create(_ path: String) throws -> Int32 {
        while true {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw posixError(path, "cannot create")
        }
    }

    private static func sync(_ fd: Int32, _ path: String) throws {
        guard fsync(fd) == 0 else { throw posixError(path, "fsync failed") }
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw posixError(path, "cannot open directory to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw posixError(path, "fsync failed") }
    }

    static func posixError(_ path: String, _ what: String) -> CheckpointError {
        CheckpointError(file: path, "\(what): \(String(cString: strerror(errno)))")
    }
}

/// Buffered writes to a descriptor, so streaming many small tensors costs few system calls.
final class FileSink: ByteSink {
    private let fd: Int32
    private let display: String
    private var buffer: [UInt8] = []
    private let capacity = 1 << 20

    init(fd: Int32, display: String) {
        self.fd = fd
        self.display = display
        buffer.reserveCapacity(capacity)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try writeFully(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeFully($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw AtomicWrite.posixError(display, "write failed")
            }
            p += n
            left -= n
        }
    }
}
