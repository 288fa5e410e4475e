import Foundation

/// Float buffers of megabytes that every step streams through (weights, packed weights, the KV
/// cache, gradients, optimizer state, activations), backed by 2 MB transparent huge pages where
/// the kernel allows them.
///
/// Huge pages spare the TLB misses of streaming such buffers in 4 KB pages. Linux gives them to
/// an aligned range only on request (`madvise` mode is the common default), so the allocation
/// is 2 MB-aligned and asks; where it is refused the buffer is still correct.
enum HugePages {
    static let size = 2 << 20

    /// `count` floats, zeroed; release with `free`. From 2 MB on the range is 2 MB-aligned and
    /// asks for huge pages; below, a cache line's alignment does.
    static func allocate(floats count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let huge = bytes >= size
        let rounded = huge ? (bytes + size - 1) / size * size : bytes
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, huge ? size : 64, rounded) == 0, let raw else {
            fatalError("out of memory for \(bytes) bytes")
        }
        #if os(Linux)
        if huge { _ = madvise(raw, rounded, MADV_HUGEPAGE) }
        #endif
        memset(raw, 0, rounded)
        return raw.bindMemory(to: Float.self, capacity: rounded / MemoryLayout<Float>.stride)
    }

    /// Releases a buffer from `allocate`.
    static func free(_ pointer: UnsafeMutablePointer<Float>) {
        Foundation.free(pointer)
    }
}

/// One `HugePages` allocation, freed with the last object holding it: the packed weight
/// matrices of a model share one, so a small model's matrices of under 2 MB each are in huge
/// pages too, not only those of 2 MB or more.
final class HugeBuffer: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    /// `count` zeroed floats.
    init(floats count: Int) {
        self.count = count
        base = HugePages.allocate(floats: count)
    }

    deinit { HugePages.free(base) }
}
