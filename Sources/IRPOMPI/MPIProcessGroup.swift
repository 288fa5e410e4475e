#if IRPO_MPI
import CMPI
import Foundation
import IRPOCore

/// The ranks of an Open MPI job (`mpirun -np P`, or `srun` under Slurm) as a `ProcessGroup`.
///
/// The only file that imports CMPI. MPI's default error handler stays in force: a failed
/// call, or a rank that dies, ends every rank of the job, which is why the sums do not throw.
public final class MPIProcessGroup: ProcessGroup {
    /// This process's rank in MPI_COMM_WORLD.
    public let rank: Int
    /// The ranks in MPI_COMM_WORLD.
    public let size: Int
    /// The ranks on this machine (sharing its memory), which share its cores.
    public let localSize: Int

    private init() {
        rank = Int(irpo_mpi_rank())
        size = Int(irpo_mpi_size())
        localSize = max(1, Int(irpo_mpi_local_size()))
    }

    /// Whether a launcher started this process as a rank: Open MPI's `mpirun` sets
    /// OMPI_COMM_WORLD_SIZE, PMIx and PMI launchers (`srun --mpi=pmix`) PMIX_RANK or PMI_RANK.
    public static var launched: Bool {
        let env = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"].contains { env[$0] != nil }
    }

    /// Joins the job when `launched`, else nil: a plain `dpo-train` never starts MPI, so it runs
    /// as it does without the MPI build.
    public static func joinIfLaunched() throws -> MPIProcessGroup? {
        guard launched else { return nil }
        guard irpo_mpi_init() == MPI_SUCCESS else { throw MPIError(what: "MPI_Init_thread failed") }
        return MPIProcessGroup()
    }

    /// MPI_Allreduce(MPI_SUM) in place, in pieces that fit MPI's `int` counts.
    public func sumAcrossProcesses(_ values: UnsafeMutableBufferPointer<Float>) {
        Self.inPieces(values) { irpo_mpi_sum_floats($0, $1) }
    }

    /// MPI_Allreduce(MPI_SUM) in place, in pieces that fit MPI's `int` counts.
    public func sumAcrossProcesses(_ values: UnsafeMutableBufferPointer<Double>) {
        Self.inPieces(values) { irpo_mpi_sum_doubles($0, $1) }
    }

    private static func inPieces<T>(_ values: UnsafeMutableBufferPointer<T>, _ sum: (UnsafeMutablePointer<T>, Int32) -> Int32) {
        guard let base = values.baseAddress else { return }
        let piece = 1 << 30
        var start = 0
        while start < values.count {
            let n = min(piece, values.count - start)
            // Failures abort the job inside MPI (MPI_ERRORS_ARE_FATAL) before this returns.
            _ = sum(base + start, Int32(n))
            start += n
        }
    }

    /// Leaves the job after a successful run (MPI_Finalize).
    public func finish() { _ = irpo_mpi_finalize() }

    /// Ends every rank of the job with `status` (MPI_Abort): one rank's failure stops the run,
    /// instead of leaving the others waiting in a sum that never completes.
    public func abort(status: Int32) -> Never {
        irpo_mpi_abort(status)
        exit(status)
    }
}

/// MPI could not be started.
public struct MPIError: Error, CustomStringConvertible {
    /// What failed.
    public let what: String
    /// What failed.
    public var description: String { what }
}
#endif
