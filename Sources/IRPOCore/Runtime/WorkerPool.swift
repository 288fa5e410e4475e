import Foundation
import Synchronization

/// Persistent worker threads that pick up a parallel loop at once.
///
/// A decode step of a small model is dozens of short parallel loops, and waking a sleeping
/// thread for each (as `DispatchQueue.concurrentPerform` does) can cost as much as the loop.
/// Workers here spin on a generation counter for a while after each loop, so the next one starts
/// at once, and only go to sleep (on a condition variable) when no work came for `spinLimit`
/// polls and `yieldLimit` more polls with a `sched_yield` between them.
/// One caller at a time owns the pool; a concurrent second caller gets `false` from `run` and
/// falls back to `concurrentPerform`.
final class WorkerPool: @unchecked Sendable {
    /// The pool shared by every parallel loop of the process.
    static let shared = WorkerPool()

    /// Bumped once per loop; workers wait for it to change.
    private let generation = Atomic<Int>(0)
    /// Workers that finished their chunk of the current loop.
    private let finished = Atomic<Int>(0)
    /// Workers asleep (or about to sleep) on `lock`.
    private let sleepers = Atomic<Int>(0)
    /// Whether some caller owns the pool.
    private let owned = Atomic<Bool>(false)
    private let lock = NSCondition()
    /// Workers started so far; guarded by `owned`.
    private var workers = 0
    /// The loop being run, readable by workers once they saw its generation.
    nonisolated(unsafe) private var body: ((Int, Range<Int>) -> Void)?
    nonisolated(unsafe) private var count = 0
    nonisolated(unsafe) private var chunks = 0
    /// Polls before a worker starts yielding: spinning alone would not outlast every serial
    /// stretch between the loops of a step, and each wake-up from sleep is slow.
    private let spinLimit = 20_000
    /// Then polls with the core given away between them: long enough to outlast the serial
    /// stretches of a step (the calling thread packing a product's rows, sampling the batch),
    /// yet a thread of another process that wants the core gets it.
    private let yieldLimit = 200

    /// Runs `body(chunk, range)` for `chunks` contiguous ranges of `0..<count`, the caller taking
    /// chunk 0; returns false without running anything when another caller owns the pool.
    func run(count: Int, chunks: Int, _ body: (Int, Range<Int>) -> Void) -> Bool {
        guard owned.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { owned.store(false, ordering: .releasing) }
        while workers < chunks - 1 {
            // the worker must wait for the generation after this one, even if it starts late
            startWorker(index: workers, seen: generation.load(ordering: .relaxed))
            workers += 1
        }
        withoutActuallyEscaping(body) { body in
            self.body = body
            self.count = count
            self.chunks = chunks
            finished.store(0, ordering: .relaxed)
            generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                lock.lock()
                lock.broadcast()
                lock.unlock()
            }
            runChunk(body, 0, count: count, chunks: chunks)
            // every started worker acknowledges every loop, so none can lag into the next one
            // with more threads than cores a worker may be off its core: give it the core
            var polls = 0
            while finished.load(ordering: .acquiring) < workers {
                polls += 1
                if polls > 4096 { sched_yield() }
            }
            self.body = nil
        }
        return true
    }

    private func startWorker(index: Int, seen: Int) {
        let thread = Thread { [self] in workerLoop(index: index, seen: seen) }
        thread.name = "irpo-worker-\(index + 1)"
        thread.start()
    }

    private func workerLoop(index: Int, seen start: Int) {
        var seen = start
        while true {
            var spins = 0
            var current = generation.load(ordering: .acquiring)
            while current == seen {
                spins += 1
                if spins >= spinLimit + yieldLimit {
                    current = sleepUntilChanged(from: seen)
                    break
                } else if spins >= spinLimit {
                    sched_yield()
                }
                current = generation.load(ordering: .acquiring)
            }
            seen = current
            // Workers beyond this loop's chunk count sit it out but still acknowledge it.
            participate(chunk: index + 1)
            finished.wrappingAdd(1, ordering: .releasing)
        }
    }

    /// Runs `chunk` of the current loop if it has one; a function of its own so that the
    /// worker's reference to the loop's closure is gone before it acknowledges the loop.
    @inline(never)
    private func participate(chunk: Int) {
        guard chunk < chunks, let body else { return }
        runChunk(body, chunk, count: count, chunks: chunks)
    }

    private func sleepUntilChanged(from seen: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
        defer { sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
        var current = generation.load(ordering: .sequentiallyConsistent)
        while current == seen {
            lock.wait()
            current = generation.load(ordering: .sequentiallyConsistent)
        }
        return current
    }
}
