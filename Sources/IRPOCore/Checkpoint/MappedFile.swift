import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory map of a whole regular file, so that multi-gigabyte weights are paged in
/// as they are converted instead of being read into a second buffer first.
final class MappedFile {
    /// The bytes of the file; empty for an empty file.
    let bytes: UnsafeRawBufferPointer
    private let mapped: Bool

    /// Maps `path`; `display` names the file in errors.
    init(path: String, display: String) throws {
        let fd = try openForReading(path)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw CheckpointError(file: display, String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw CheckpointError(file: display, "not a regular file") }
        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            mapped = false
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw CheckpointError(file: display, "cannot map: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
        mapped = true
    }

    /// Drops the whole pages inside `range` from this process's memory once they have been
    /// read (converted weights are not read twice); touching them again reads the file again.
    func doneWith(_ range: Range<Int>) {
        if mapped, let base = bytes.baseAddress { dropPages(base, bytes: range) }
    }

    deinit {
        if mapped, let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
