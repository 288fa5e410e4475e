import Dispatch
import Foundation

/// How many threads the hand-written loops (and OpenBLAS) may use.
///
/// Every parallel loop gives each output element to exactly one thread and sums in a fixed
/// order, so results are the same bits at any thread count.
public enum ComputeThreads {
    nonisolated(unsafe) private static var current: Int = {
        setBLASThreads(1)
        return ProcessInfo.processInfo.activeProcessorCount
    }()

    /// The thread count in force.
    public static var count: Int { current }

    /// Sets the thread count for our loops and GEMM splitting; OpenBLAS itself stays at one thread.
    public static func set(_ n: Int) {
        current = max(1, n)
        setBLASThreads(1)
    }
}

/// A pointer marked as shared by the workers of a `parallelFor`, which touch disjoint elements.
///
/// The loop bodies are not `@Sendable` closures, so plain pointers may be captured as they are;
/// this wrapper only labels the sharing.
public struct SendablePointer<T>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<T>
    @inline(__always) public init(_ base: UnsafeMutablePointer<T>) { self.base = base }
    @inline(__always) public subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
    @inline(__always) public static func + (p: SendablePointer, n: Int) -> UnsafeMutablePointer<T> { p.base + n }
}

/// Runs `body(range)` over `0..<count` split into contiguous chunks, in parallel when worth it.
///
/// `grain` is the smallest chunk worth a thread; the split depends on the thread count but
/// `body` must compute each index independently, so results do not.
@inline(__always)
public func parallelFor(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    parallelChunks(count, grain: grain) { _, range in body(range) }
}

/// Like `parallelFor`, also passing the chunk's number (below `maxChunks`, which defaults to the
/// thread count), so a worker can own a slice of a scratch buffer sized for `maxChunks`.
public func parallelChunks(_ count: Int, grain: Int = 1, maxChunks: Int = ComputeThreads.count,
                           _ body: (Int, Range<Int>) -> Void) {
    let threads = min(ComputeThreads.count, maxChunks, max(1, count / max(grain, 1)))
    if threads <= 1 || count <= 1 || ParallelRegion.isActive {
        if count > 0 { body(0, 0..<count) }
        return
    }
    if WorkerPool.shared.run(count: count, chunks: threads, body) { return }
    withoutActuallyEscaping(body) { body in
        let box = UnsafeSendableBox(body)
        DispatchQueue.concurrentPerform(iterations: threads) { t in runChunk(box.value, t, count: count, chunks: threads) }
    }
}

/// Runs chunk `chunk` of `chunks` contiguous ranges of `0..<count`, marked as inside a parallel region.
@inline(__always)
func runChunk(_ body: (Int, Range<Int>) -> Void, _ chunk: Int, count: Int, chunks: Int) {
    let lo = count * chunk / chunks, hi = count * (chunk + 1) / chunks
    ParallelRegion.isActive = true
    if lo < hi { body(chunk, lo..<hi) }
    ParallelRegion.isActive = false
}

/// Carries a non-Sendable closure into `concurrentPerform`; safe because the closure only
/// touches disjoint index ranges and outlives the call.
struct UnsafeSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Marks, per thread, that the thread is running a chunk of a `parallelFor`, so that work it
/// starts there (a GEMM, a nested loop) stays on it instead of fanning out again.
enum ParallelRegion {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Whether the current thread is inside a parallel chunk.
    static var isActive: Bool {
        get { pthread_getspecific(key) != nil }
        set { pthread_setspecific(key, newValue ? UnsafeRawPointer(bitPattern: 1) : nil) }
    }
}
