import Foundation
import IRPOCore

/// The processes a command runs with: the ranks of the MPI job when built with `IRPO_MPI=1`
/// and started by a launcher (mpirun, srun), else this process alone.
///
/// The one place that knows whether MPI is built in, so the commands need no `#if`.
public struct ParallelJob {
    /// The group the trainer sums over.
    public let group: any ProcessGroup
    /// Ranks sharing this machine's cores (1 without MPI).
    public let localSize: Int
    #if IRPO_MPI
    private let mpi: MPIProcessGroup?
    #endif

    /// Joins the MPI job when there is one.
    public static func start() throws -> ParallelJob {
        #if IRPO_MPI
        if let mpi = try MPIProcessGroup.joinIfLaunched() {
            return ParallelJob(group: mpi, localSize: mpi.localSize, mpi: mpi)
        }
        return ParallelJob(group: SingleProcess(), localSize: 1, mpi: nil)
        #else
        return ParallelJob(group: SingleProcess(), localSize: 1)
        #endif
    }

    /// Threads for this rank when the user gave none: the machine's cores shared among its ranks.
    public var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount / localSize) }

    /// After a successful run: leave the MPI job.
    public func finish() {
        #if IRPO_MPI
        mpi?.finish()
        #endif
    }

    /// After a failure on this rank: with other ranks, end them all with `status` (they may be
    /// waiting in a sum this rank will never join); alone, return and exit as usual.
    public func fail(status: Int32) {
        #if IRPO_MPI
        if let mpi, mpi.size > 1 { mpi.abort(status: status) }
        mpi?.finish()
        #endif
    }
}
