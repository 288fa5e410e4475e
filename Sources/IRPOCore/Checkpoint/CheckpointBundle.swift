// A bundle is a tar (optionally compressed) of a checkpoint directory, holding its files either
// at the top level or under one folder, as `tar czf m1.tar.gz m1` makes it.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum CheckpointBundle {
    /// The compression a save path asks for by its suffix, or nil for a plain directory.
    static func compression(forPath path: String) -> BundleCompression? {
        let p = path.lowercased()
        if p.hasSuffix(".tar") { return BundleCompression.none }
        if p.hasSuffix(".tar.gz") || p.hasSuffix(".tgz") { return .gzip }
        if p.hasSuffix(".tar.xz") || p.hasSuffix(".txz") { return .xz }
        if p.hasSuffix(".tar.zst") || p.hasSuffix(".tzst") { return .zstd }
        return nil
    }

    /// The folder a written bundle puts its files under: the bundle's name without its suffix,
    /// so that unpacking `m2.tar.gz` gives the directory `m2`.
    static func folderName(forPath path: String) -> String {
        var base = AtomicWrite.split(path).1
        for suffix in [".tar.gz", ".tar.xz", ".tar.zst", ".tgz", ".txz", ".tzst", ".tar"]
        where base.lowercased().hasSuffix(suffix) {
            base.removeLast(suffix.count)
            break
        }
        return base.isEmpty || base.hasPrefix(".") ? "checkpoint" : base
    }

    /// Where a member belongs: (folder or nil for top level, file name); nil for members that
    /// cannot be part of a checkpoint (deeper, absolute, `..`, hidden).
    static func place(_ memberPath: String) -> (folder: String?, name: String)? {
        if memberPath.hasPrefix("/") { return nil }
        let parts = memberPath.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
        if parts.contains("..") || parts.contains(where: { $0.hasPrefix(".") }) { return nil }
        switch parts.count {
        case 1: return (nil, parts[0])
        case 2: return (parts[0], parts[1])
        default: return nil
        }
    }

    /// Unpacks the checkpoint files of the bundle at `path` into a temporary directory (so that
    /// weights are memory-mapped as from a directory) and runs `body` on it; `body` gets the
    /// directory and a function naming a file as it sits in the bundle, for errors.
    static func withExtracted<T>(_ path: String, _ body: (String, (String) -> String) throws -> T) throws -> T {
        let temp = FileManager.default.temporaryDirectory.path + "/irpo-bundle-\(getpid())-\(UUID().uuidString)"
        let top = temp + "/top", nested = temp + "/nested"
        defer { try? FileManager.default.removeItem(atPath: temp) }
        for dir in [temp, top, nested] where mkdir(dir, 0o700) != 0 {
            throw AtomicWrite.posixError(dir, "cannot create temporary directory")
        }
        let tar = try TarReader(path: path)
        defer { tar.close() }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while let member = try tar.next() {
            guard member.isRegularFile, let (folder, name) = place(member.path) else { continue }
            var dir = top
            if let folder {
                dir = nested + "/" + folder
                if access(dir, F_OK) != 0 && mkdir(dir, 0o700) != 0 {
                    throw AtomicWrite.posixError(dir, "cannot create temporary directory")
                }
            }
            let target = dir + "/" + name
            let fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw AtomicWrite.posixError(target, "cannot create temporary file") }
            defer { close(fd) }
            let sink = FileSink(fd: fd, display: target)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try tar.read(into: $0) }
                if n == 0 { break }
                try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
            try sink.flush()
        }
        let (root, prefix) = try checkpointRoot(top: top, nested: nested, bundle: path)
        return try body(root, { "\(path)/\(prefix)\($0)" })
    }

    /// The unpacked directory that holds config.json, and its folder prefix inside the bundle.
    private static func checkpointRoot(top: String, nested: String, bundle: String) throws -> (String, String) {
        if access(top + "/" + CheckpointIO.configName, F_OK) == 0 { return (top, "") }
        let folders = ((try? FileManager.default.contentsOfDirectory(atPath: nested)) ?? [])
            .filter { access(nested + "/" + $0 + "/" + CheckpointIO.configName, F_OK) == 0 }
            .sorted()
        if folders.count == 1 { return (nested + "/" + folders[0], folders[0] + "/") }
        if folders.isEmpty {
            throw CheckpointError(file: bundle, "no config.json at the top level or under one folder: not a checkpoint bundle")
        }
        throw CheckpointError(file: bundle, "holds several checkpoints (\(folders.joined(separator: ", "))); expected one")
    }

    /// The first config.json of the bundle, read without unpacking anything else.
    static func readConfig(_ path: String) throws -> (Data, String) {
        let tar = try TarReader(path: path)
        defer { tar.close() }
        while let member = try tar.next() {
            guard member.isRegularFile, let (folder, name) = place(member.path), name == CheckpointIO.configName else { continue }
            return (try tar.readAll(), "\(path)/\(folder.map { $0 + "/" } ?? "")\(name)")
        }
        throw CheckpointError(file: path, "no config.json at the top level or under one folder: not a checkpoint bundle")
    }
}
