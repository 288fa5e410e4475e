import Dispatch
import Foundation
import IRPOCore

/// What `dpo-train` says on standard error while it works: notes, and a line per step with
/// elapsed time and ETA, rewritten in place on a terminal and one line each with --progress.
public final class TrainingProgress {
    /// Whether anything is shown.
    public let enabled: Bool
    let inPlace: Bool
    let diagnostics: Diagnostics
    let began = DispatchTime.now().uptimeNanoseconds
    var trainingBegan = 0.0, firstStep = 0

    /// Progress that shows when `enabled`; on a terminal unless `asked`, the step line is
    /// rewritten in place. Starts with the line naming the CPU, kernels and threads.
    public init(enabled: Bool, asked: Bool, diagnostics: Diagnostics) {
        self.enabled = enabled
        inPlace = enabled && !asked
        self.diagnostics = diagnostics
        note(MachineDescription.line())
    }

    /// Seconds since the start.
    public var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9 }

    /// "1m02s".
    public var elapsedText: String { TrainingMetrics.duration(elapsed) }

    /// One line, when shown.
    public func note(_ line: String) { if enabled { diagnostics.note(line) } }

    /// Marks where the step loop starts, at `step`.
    public func stepsBegin(at step: Int) {
        trainingBegan = elapsed
        firstStep = step
    }

    /// The line of a finished step, with the time spent and the time left to `lastStep`.
    public func step(_ m: TrainingMetrics, step: Int, lastStep: Int, totalSteps: Int) {
        guard enabled else { return }
        let spent = elapsed - trainingBegan
        let eta = spent / Double(max(step - firstStep, 1)) * Double(lastStep - step)
        let line = "dpo-train: " + m.progressLine(totalSteps: totalSteps)
            + "  elapsed \(elapsedText)  eta \(TrainingMetrics.duration(eta))"
        if inPlace { diagnostics.send("\r\u{1B}[K" + line) } else { diagnostics.emit(line) }
    }

    /// Ends the in-place line; returns the seconds the steps took.
    public func stepsEnd() -> Double {
        if inPlace { diagnostics.send("\n") }
        return elapsed - trainingBegan
    }
}
