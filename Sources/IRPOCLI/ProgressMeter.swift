import Foundation
import IRPOCore

/// `sample`'s progress line on standard error: rewritten in place on a terminal, a line every
/// few seconds otherwise.
public final class ProgressMeter {
    let enabled: Bool
    let diagnostics: Diagnostics
    let total: Int?
    let unit: String
    let terminal = isatty(2) != 0
    let start = Date()
    var last = Date.distantPast
    var shownDone = -1

    /// A meter of `total` problems, or other `unit`s (nil: unknown), that shows only when
    /// `enabled`, and then starts with the line naming the CPU, kernels and threads.
    public init(enabled: Bool, diagnostics: Diagnostics, total: Int?, unit: String = "problems") {
        self.enabled = enabled
        self.diagnostics = diagnostics
        self.total = total
        self.unit = unit
        if enabled { diagnostics.note(MachineDescription.line()) }
    }

    /// Shows the memory estimate when `generator` sizes its cache, before it decodes.
    public func watchMemory(of generator: Generator, config: LlamaConfig) {
        guard enabled else { return }
        let diagnostics = self.diagnostics
        generator.onCacheSized = { capacity, slots, model in
            let most = MemoryEstimate.sampling(config: config, modelBytes: model.bytes, sequences: slots, capacity: capacity)
            diagnostics.note("memory: at most \(MemoryEstimate.text(most)) (the model in \(model.typeName) and the caches of "
                + "\(slots) sequence\(slots == 1 ? "" : "s") of \(capacity) tokens)")
        }
    }

    /// Shows `generator`'s counts, unless the line was shown very recently.
    public func update(_ generator: Generator) {
        update(done: generator.finishedProblems, tokens: generator.generatedTokens)
    }

    /// Shows `generator`'s final counts.
    public func end(_ generator: Generator) {
        end(done: generator.finishedProblems, tokens: generator.generatedTokens)
    }

    /// Shows the counts, unless the line was shown very recently.
    public func update(done: Int, tokens: Int) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(last) >= (terminal ? 0.25 : 5) else { return }
        last = now
        show(done: done, tokens: tokens, final: false)
    }

    /// Shows the final counts (ending the line on a terminal; not again when already shown).
    public func end(done: Int, tokens: Int) {
        guard enabled, terminal || done != shownDone else { return }
        show(done: done, tokens: tokens, final: true)
    }

    private func show(done: Int, tokens: Int, final: Bool) {
        shownDone = done
        let text = diagnostics.command + ": " + progressLine(problemsDone: done, totalProblems: total, tokens: tokens,
                                                             seconds: Date().timeIntervalSince(start), unit: unit)
        if terminal {
            diagnostics.send("\r" + text + "\u{1B}[K" + (final ? "\n" : ""))
        } else {
            diagnostics.emit(text)
        }
    }
}
