import ArgumentParser
import IRPOCLI
import IRPOCore
import IRPOMPI

extension ParallelJob {
    /// Runs `body` as this process's rank of the job: its messages name the rank (every rank
    /// reads the same data), and a failure on one rank ends them all with its status.
    static func run(command: String, _ body: (ParallelJob, Diagnostics) throws -> Void) throws {
        // Ctrl-C waits for a checkpoint or metrics line being written, so none is left half done.
        Interrupts.install()
        let job = try ParallelJob.start()
        let rank = job.group.rank
        let diagnostics = Diagnostics(command: rank == 0 ? command : "\(command): rank \(rank)")
        do {
            try body(job, diagnostics)
            job.finish()
        } catch let e as ExitCode {
            job.fail(status: e.rawValue)
            throw e
        } catch {
            diagnostics.error("\(error)")
            job.fail(status: ExitStatus.failure)
            throw ExitCode(ExitStatus.failure)
        }
    }

    /// `--threads` when given, else the machine's cores shared among the ranks on it.
    func setThreads(_ threads: Int) {
        if threads > 0 {
            ComputeThreads.set(threads)
        } else if localSize > 1 {
            ComputeThreads.set(defaultThreads)
        }
    }

    /// With several ranks the input must be files: mpirun gives standard input to rank 0 only.
    func requireFiles(_ files: [String], diagnostics: Diagnostics) throws {
        guard group.size > 1 && (files.isEmpty || files.contains("-")) else { return }
        diagnostics.error("with \(group.size) ranks the pairs must be files: mpirun gives standard input to rank 0 only")
        throw ExitCode(ExitStatus.usage)
    }
}
