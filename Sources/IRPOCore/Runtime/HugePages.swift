import Foundation
import Synchronization

/// Float buffers of megabytes that every step streams through (weights, packed weights, the KV
/// cache, gradients, optimizer state, activations), backed by 2 MB transparent huge pages where
/// the kernel allows them.
///
/// Huge pages spare the TLB misses of streaming such buffers in 4 KB pages. Linux gives them to
/// an aligned range only on request (`madvise` mode is the common default), so the allocation
/// is 2 MB-aligned and asks; where it is refused the buffer is still correct.
enum HugePages {
    static let size = 2 << 20

    /// The mappings behind large buffers, by their start, with their length in bytes.
    private static let mappings = Mutex<[UInt: Int]>([:])

    /// `count` floats, zeroed; release with `free`. From 2 MB on the range is its own 2 MB-aligned
    /// anonymous mapping that asks for huge pages: the kernel commits its pages when first
    /// written, so a buffer costs memory as it is used, and `discard` can give parts back.
    /// Below 2 MB, a cache line's alignment from the heap.
    static func allocate(floats count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard bytes >= size else {
            var raw: UnsafeMutableRawPointer?
            guard posix_memalign(&raw, 64, bytes) == 0, let raw else { fatalError("out of memory for \(bytes) bytes") }
            memset(raw, 0, bytes)
            return raw.bindMemory(to: Float.self, capacity: bytes / MemoryLayout<Float>.stride)
        }
        let rounded = (bytes + size - 1) / size * size
        // map one huge page more than needed and trim both ends to an aligned range
        let mapped = mmap(nil, rounded + size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { fatalError("out of memory for \(bytes) bytes") }
        let start = UInt(bitPattern: mapped), aligned = (start + UInt(size) - 1) / UInt(size) * UInt(size)
        if aligned > start { munmap(mapped, Int(aligned - start)) }
        let tail = Int(start) + rounded + size - Int(aligned) - rounded
        if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: aligned + UInt(rounded)), tail) }
        let raw = UnsafeMutableRawPointer(bitPattern: aligned)!
        #if os(Linux)
        _ = madvise(raw, rounded, MADV_HUGEPAGE)
        #endif
        mappings.withLock { $0[aligned] = rounded }
        return raw.bindMemory(to: Float.self, capacity: rounded / MemoryLayout<Float>.stride)
    }

    /// Releases a buffer from `allocate`.
    static func free(_ pointer: UnsafeMutablePointer<Float>) {
        let key = UInt(bitPattern: pointer)
        if let length = mappings.withLock({ $0.removeValue(forKey: key) }) {
            munmap(UnsafeMutableRawPointer(pointer), length)
        } else {
            Foundation.free(pointer)
        }
    }

    /// Gives the whole pages inside `floats` of a large buffer back to the system; they read as
    /// zero afterwards. The partial pages at either end are kept, so neighbours stay intact.
    static func discard(_ pointer: UnsafeMutablePointer<Float>, floats range: Range<Int>) {
        let size = MemoryLayout<Float>.stride
        dropPages(UnsafeRawPointer(pointer), bytes: (range.lowerBound * size)..<(range.upperBound * size))
    }
}

/// Drops the whole pages inside `bytes` of the mapping at `base` from this process's memory
/// (`MADV_DONTNEED`); the partial pages at either end are kept, so neighbours stay intact.
func dropPages(_ base: UnsafeRawPointer, bytes range: Range<Int>) {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let from = (Int(bitPattern: base) + range.lowerBound + page - 1) / page * page
    let to = (Int(bitPattern: base) + range.upperBound) / page * page
    if to > from { _ = madvise(UnsafeMutableRawPointer(bitPattern: from), to - from, MADV_DONTNEED) }
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
