import Foundation
import IRPOCore
#if IRPO_MPI
import IRPOMPI
#endif

/// The processes this run trains with: the ranks of the `mpirun` job when built with
/// `IRPO_MPI=1` and started by a launcher, else this process alone.
struct TrainingJob {
    /// The group the trainer sums over.
    let group: any ProcessGroup
    /// Ranks sharing this machine's cores (1 without MPI).
    let localSize: Int
    #if IRPO_MPI
    private let mpi: MPIProcessGroup?
    #endif

    /// Joins the MPI job when there is one.
    static func start() throws -> TrainingJob {
        #if IRPO_MPI
        if let mpi = try MPIProcessGroup.joinIfLaunched() {
            return TrainingJob(group: mpi, localSize: mpi.localSize, mpi: mpi)
        }
        return TrainingJob(group: SingleProcess(), localSize: 1, mpi: nil)
        #else
        return TrainingJob(group: SingleProcess(), localSize: 1)
        #endif
    }

    /// After a successful run: leave the MPI job.
    func finish() {
        #if IRPO_MPI
        mpi?.finish()
        #endif
    }

    /// After a failure on this rank: with other ranks, end them all with `status` (they may be
    /// waiting in a sum this rank will never join); alone, return and exit as usual.
    func fail(status: Int32) {
        #if IRPO_MPI
        if let mpi, mpi.size > 1 { mpi.abort(status: status) }
        mpi?.finish()
        #endif
    }
}
