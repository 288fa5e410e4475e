/// The processes of a data-parallel training run, as the trainer sees them: which one this is,
/// how many there are, and an elementwise sum across all of them.
///
/// The core knows nothing of MPI: `dpo-train` built with `IRPO_MPI=1` passes an Open MPI
/// implementation (module IRPOMPI), everything else runs as `SingleProcess`. Every process
/// must make the same calls in the same order with the same counts; an implementation stops
/// the whole run when a process fails (MPI's default error handler does), so the sums never
/// throw.
public protocol ProcessGroup: AnyObject {
    /// This process's 0-based rank.
    var rank: Int { get }
    /// How many processes take part.
    var size: Int { get }
    /// Replaces every element with its sum over all processes; every process gets the same bits.
    func sumAcrossProcesses(_ values: UnsafeMutableBufferPointer<Float>)
    /// Replaces every element with its sum over all processes; every process gets the same bits.
    func sumAcrossProcesses(_ values: UnsafeMutableBufferPointer<Double>)
}

/// The group of one: rank 0 of 1, sums are the values themselves.
public final class SingleProcess: ProcessGroup {
    /// The only rank.
    public let rank = 0
    /// One process.
    public let size = 1

    /// A group of one.
    public init() {}

    /// Nothing to add.
    public func sumAcrossProcesses(_ values: UnsafeMutableBufferPointer<Float>) {}
    /// Nothing to add.
    public func sumAcrossProcesses(_ values: UnsafeMutableBufferPointer<Double>) {}
}

extension ProcessGroup {
    /// This rank's contiguous part of `items`, the parts as equal as can be and in rank order,
    /// so the ranks' parts put back together are `items`.
    public func share<T>(of items: [T]) -> ArraySlice<T> {
        let n = items.count
        return items[(rank * n / size)..<((rank + 1) * n / size)]
    }

    /// Sums an array across the processes.
    public func sumAcrossProcesses(_ values: inout [Double]) {
        values.withUnsafeMutableBufferPointer { sumAcrossProcesses($0) }
    }

    /// Whether every process passed the same `value`: rank 0's value reaches all as a sum to
    /// which the others add 0, then the ranks that differ from it are counted.
    public func allAgree(on value: UInt64) -> Bool {
        guard size > 1 else { return true }
        // Doubles hold 32-bit halves exactly.
        var first: [Double] = rank == 0 ? [Double(value >> 32), Double(value & 0xffff_ffff)] : [0, 0]
        sumAcrossProcesses(&first)
        let mine = UInt64(first[0]) << 32 | UInt64(first[1])
        var disagreeing: [Double] = [mine == value ? 0 : 1]
        sumAcrossProcesses(&disagreeing)
        return disagreeing[0] == 0
    }
}
