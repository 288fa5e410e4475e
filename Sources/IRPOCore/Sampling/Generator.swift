import Foundation

/// What `Generator` does with each problem.
public struct GenerationOptions: Sendable {
    /// Samples per problem.
    public var samples: Int
    /// Most tokens generated per sample (the EOS included): a completion's, or what follows its prefix.
    public var maxTokens: Int
    /// How each token is drawn.
    public var sampling: SamplingParameters
    /// The run's seed; sample s of the problem with key k draws from SplitMix64(seed, k, s).
    public var seed: UInt64
    /// Texts that end a completion (the text is cut before them); EOS always ends one.
    public var stops: [String]
    /// Most sequences decoded together in one step.
    public var batchSize: Int
    /// How decoding keeps the weight matrices (`--dtype`); auto decodes to the bits of f32.
    public var weightType: WeightTypeChoice = .auto
    /// Token ids that end a completion besides config.json's eos_token_id (generation_config.json's
    /// list); the EOS scored into `logprob` stays config.json's first, the one dpo-train appends.
    public var endTokens: [Int] = []
    /// Whether a completion whose re-tokenized ids differ from the generated ones is scored
    /// again (exact `tokens`/`logprob`); when off, such samples report the generated tokens.
    /// (Package-internal: only the benchmark turns it off, for random models whose ids do not
    /// survive decoding.)
    package var rescore = true

    /// Options; the defaults are one sample of up to 256 tokens from the model's distribution.
    public init(samples: Int = 1, maxTokens: Int = 256, sampling: SamplingParameters = .init(), seed: UInt64 = 0,
                stops: [String] = [], batchSize: Int = 64) {
        self.samples = samples
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.seed = seed
        self.stops = stops
        self.batchSize = batchSize
    }
}

/// Why a completion ended.
public enum FinishReason: String, Sendable {
    /// EOS or a stop string.
    case stop
    /// The token limit (or the model's context) was reached.
    case length
}

/// One finished sample of a problem.
public struct GeneratedSample: Sendable, Equatable {
    /// 0-based sample index within the problem.
    public var sample: Int
    /// The text up to, not including, the stop string or EOS.
    public var completion: String
    /// The number of tokens of tokenize(completion), plus the EOS when `finish` is stop.
    public var tokens: Int
    /// Σ log p(token) over those tokens, untempered: what a trainer scoring the pair computes.
    public var logprob: Double
    /// Why it ended.
    public var finish: FinishReason
    /// Tokens the model generated for it (throughput accounting; may differ from `tokens`).
    public var generated: Int
}

/// A problem `Generator` cannot take.
public enum GenerationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The prompt leaves no room for a completion token.
    case promptTooLong(tokens: Int, context: Int)
    /// The prompt encodes to no tokens at all.
    case emptyPrompt
    /// The prompt and the completion prefix together leave no room for a completion token.
    case prefixTooLong(tokens: Int, context: Int)

    /// What is wrong.
    public var description: String {
        switch self {
        case let .promptTooLong(tokens, context):
            return "prompt of \(tokens) tokens leaves no room in the model's context of \(context) tokens"
        case .emptyPrompt: return "the prompt is empty (no tokens to condition on)"
        case let .prefixTooLong(tokens, context):
            return "prompt and prefix of \(tokens) tokens leave no room in the model's context of \(context) tokens"
        }
    }
}

/// Batched sampling over a stream of problems: each problem's prompt is prefilled once and its
/// KV cache shared with its samples; every step decodes all live sequences (of several problems)
/// together, prefilling newly admitted prompts in the same step; finished sequences free their
/// slot for the next. Results come out through `onFinish` in submission order.
///
/// Each sample draws from its own generator keyed by (seed, problem key, sample index), so the
/// output does not depend on how problems were packed into steps.
public final class Generator {
    /// The model's weights.
    public let weights: ModelWeights
    /// Tokenizer for decoding completions and re-tokenizing them for scoring.
    public let tokenizer: Tokenizer
    /// The options in force.
    public let options: GenerationOptions
    /// Called once per problem, in submission order, with its samples in index order.
    private let onFinish: ([GeneratedSample]) -> Void

    /// Tokens generated so far (EOS included).
    public private(set) var generatedTokens = 0
    /// Problems whose results were handed to `onFinish`.
    public private(set) var finishedProblems = 0

    private let eosIds: Set<Int32>
    /// The EOS that ends a scored completion (the tokenizer rule appends one id: the first).
    private let scoredEOS: Int32
    private let stopBytes: [[UInt8]]
    private let maxStop: Int
    private var session: InferenceSession?
    /// A one-sequence cache for re-scoring completions whose tokens changed (see `score`).
    private var scorer: InferenceSession?
    private var scorerPrompt: Problem?
    private var scorerFirstLogits: [Float] = []
    private var slotCount: Int { options.batchSize + (options.samples > 1 ? 1 : 0) }
    private var freeSlots: [Int] = []
    /// Admitted problems not yet handed out, in submission order.
    private var problems: [Problem] = []
    private var live: [LiveSequence] = []
    /// How many admitted problems may wait (running or finished) before the oldest is handed out.
    private var window: Int { max(4 * options.batchSize, 16) }

    /// Whether the weights' matrices go back to the system once packed (`releasingWeights`).
    private let releasingWeights: Bool
    /// The packed model every session of this generator decodes with, made on first use.
    private var packed: DecodeWeights?

    /// A generator; `onFinish` receives each problem's samples, in the order problems were
    /// submitted. With `releasingWeights` the generator is the weights' last user: their matrices
    /// are given back to the system as they are packed, so decoding holds one copy of the model.
    public init(weights: ModelWeights, tokenizer: Tokenizer, options: GenerationOptions,
                releasingWeights: Bool = false, onFinish: @escaping ([GeneratedSample]) -> Void) {
        precondition(options.samples >= 1 && options.maxTokens >= 1 && options.batchSize >= 1)
        self.weights = weights
        self.releasingWeights = releasingWeights
        self.tokenizer = tokenizer
        self.options = options
        self.onFinish = onFinish
        eosIds = Set((weights.config.eosTokenIds + options.endTokens).map(Int32.init))
        scoredEOS = Int32(weights.config.eosTokenIds.first ?? -1)
        stopBytes = options.stops.map { Array($0.utf8) }.filter { !$0.isEmpty }
        maxStop = stopBytes.map(\.count).max() ?? 0
    }

    /// The packed model, made once.
    private var decodeWeights: DecodeWeights {
        if let packed { return packed }
        let made = DecodeWeights(weights, options.weightType, releasingSource: releasingWeights)
        packed = made
        return made
    }

    /// Bytes held by the packed model and the caches of the sessions so far.
    public var allocatedBytes: Int {
        (packed?.bytes ?? 0) + (session?.allocatedBytes ?? 0) + (scorer?.allocatedBytes ?? 0)
    }

    /// Cache slots allocated in the current session (each as a sequence first needed it).
    public var allocatedSlots: Int { session?.allocatedSlots ?? 0 }

    /// Called when a cache is set up (the first problem, or a longer one later) with the
    /// tokens each slot holds and the most slots it may allocate, before any decoding in it.
    public var onCacheSized: ((_ capacity: Int, _ slots: Int, _ model: DecodeWeights) -> Void)?

    /// The most tokens generated after a prompt of `promptTokens` tokens and a completion prefix
    /// of `prefixTokens`: `maxTokens`, fewer when the context has less room left.
    public func completionLimit(promptTokens: Int, prefixTokens: Int = 0) -> Int {
        min(options.maxTokens, weights.config.maxPositionEmbeddings - promptTokens - prefixTokens)
    }

    /// Checks that a prompt (and a completion prefix) fits, without submitting it.
    public func validate(promptTokens: [Int32], prefix: CompletionPrefix = .none) throws(GenerationError) {
        if promptTokens.isEmpty { throw .emptyPrompt }
        let context = weights.config.maxPositionEmbeddings
        if promptTokens.count >= context { throw .promptTooLong(tokens: promptTokens.count, context: context) }
        let conditioned = promptTokens.count + prefix.tokens.count
        if conditioned >= context { throw .prefixTooLong(tokens: conditioned, context: context) }
    }

    /// Queues a problem, running decode steps until there is room for it. `key` identifies the
    /// problem for its random streams (e.g. a hash of its id). With a `prefix`, every sample
    /// continues it: the model is conditioned on the prompt's ids and the prefix's, and each
    /// completion is the prefix's text plus what follows it, scored whole.
    public func submit(key: UInt64, promptTokens: [Int32], prefix: CompletionPrefix = .none) throws(GenerationError) {
        try validate(promptTokens: promptTokens, prefix: prefix)
        let problem = Problem(key: key, prompt: promptTokens, prefix: prefix, samples: options.samples,
                              limit: completionLimit(promptTokens: promptTokens.count, prefixTokens: prefix.tokens.count))
        while !admit(problem) {
            let worked = runStep()
            precondition(worked, "the generator made no progress with a problem waiting")
        }
    }

    /// Runs every submitted problem to its end and hands out the rest of the results.
    public func finish() {
        while !problems.isEmpty {
            let worked = runStep()
            emitFinished()
            precondition(worked || problems.isEmpty, "the generator stalled with problems left")
        }
    }

    // MARK: scheduling

    /// Takes the problem in when a slot, the window and the cache length allow it.
    private func admit(_ problem: Problem) -> Bool {
        let needed = problem.context.count + problem.limit - 1
        if session == nil || needed > session!.capacity {
            guard problems.isEmpty else { return false }
            // Grow between problems only: the cache is rebuilt, so nothing may be running.
            let cap = min(weights.config.maxPositionEmbeddings, max(64, (max(needed, problem.context.count) + 63) / 64 * 64,
                                                                   session?.capacity ?? 0))
            session = InferenceSession(model: decodeWeights, slots: slotCount, capacity: cap)
            onCacheSized?(cap, slotCount, decodeWeights)
            freeSlots = Array((0..<slotCount).reversed())
        }
        guard problems.count < window else { return false }
        // Samples already admitted get free slots first, so a prompt slot never starves them.
        let pendingCopies = problems.reduce(0) { $0 + max(0, $1.samples - $1.nextSample - 1) }
        guard freeSlots.count > pendingCopies else { return false }
        problem.promptSlot = freeSlots.removeLast()
        problems.append(problem)
        return true
    }

    /// One model step over all live sequences and pending prompt prefills; false when idle.
    @discardableResult
    private func runStep() -> Bool {
        guard let session else { return false }
        startSamples()
        var items: [(slot: Int, tokens: [Int32])] = []
        items.reserveCapacity(live.count + 4)
        for s in live { items.append((slot: s.slot, tokens: [s.pending])) }
        var prefills: [Problem] = []
        var prefillTokens = 0
        // Prompts join a step until it holds `prefillTokensPerStep` of them (one always may):
        // the step's buffers grow with its rows. Which step a prompt joins changes no bits.
        for p in problems where p.firstLogits == nil && p.promptSlot != nil {
            if !prefills.isEmpty && prefillTokens + p.context.count > Self.prefillTokensPerStep { break }
            items.append((slot: p.promptSlot!, tokens: p.context))
            prefills.append(p)
            prefillTokens += p.context.count
        }
        if items.isEmpty { return false }
        let logits = session.step(items)
        let V = weights.config.vocabSize
        for (i, p) in prefills.enumerated() {
            let row = live.count + i
            p.firstLogits = Array(logits[(row * V)..<((row + 1) * V)])
        }
        let stepping = live
        live.removeAll(keepingCapacity: true)
        logits.withUnsafeBufferPointer { all in
            // each task draws from its own sequence's sampler only
            let drawn = Self.draws(rows: stepping.count, logits: all, vocabulary: V) { row, z in stepping[row].sampler.next(z) }
            for (i, s) in stepping.enumerated() {
                if advance(s, logits: UnsafeBufferPointer(rebasing: all[(i * V)..<((i + 1) * V)]), drawn: drawn[i]) {
                    live.append(s)
                }
            }
        }
        startSamples()
        emitFinished()
        return true
    }

    /// Starts waiting samples of prefilled problems, oldest problem first, while slots and the batch allow.
    private func startSamples() {
        guard let session else { return }
        for p in problems {
            guard let first = p.firstLogits, let promptSlot = p.promptSlot else { continue }
            while p.nextSample < p.samples && live.count < options.batchSize {
                let isLast = p.nextSample == p.samples - 1
                let slot: Int
                if isLast {
                    slot = promptSlot
                    p.promptSlot = nil
                } else {
                    guard let free = freeSlots.popLast() else { return }
                    session.share(slot: promptSlot, with: free)
                    slot = free
                }
                let index = p.nextSample
                p.nextSample += 1
                let rng = SplitMix64(seed: options.seed, keys: p.key, UInt64(index))
                let s = LiveSequence(problem: p, index: index, slot: slot,
                                 sampler: Sampler(parameters: options.sampling, rng: rng), tokenizer: tokenizer)
                let keep = first.withUnsafeBufferPointer { z in
                    advance(s, logits: z, drawn: Self.draws(rows: 1, logits: z, vocabulary: z.count) { s.sampler.next($1) }[0])
                }
                if keep { live.append(s) }
                if isLast { p.firstLogits = nil }
            }
            if live.count >= options.batchSize { return }
        }
    }

    /// Each row's token drawn by its sampler and the log of its softmax's denominator, as
    /// `advance` would take them one row after another. The draws and the sums run as separate
    /// tasks on the threads (so even one stream's pair runs side by side); each is the same
    /// sequential computation on its own row and random stream, so the bits are the same.
    static func draws(rows n: Int, logits: UnsafeBufferPointer<Float>, vocabulary V: Int,
                      draw: (Int, UnsafeBufferPointer<Float>) -> Int32) -> [(token: Int32, logNormaliser: Float)] {
        var drawn = [(token: Int32, logNormaliser: Float)](repeating: (0, 0), count: n)
        drawn.withUnsafeMutableBufferPointer { buffer in
            let out = SendablePointer(buffer.baseAddress!)
            // tasks 0 ..< n draw, n ..< 2n sum: with two threads each takes one kind for half the rows
            parallelFor(2 * n) { tasks in
                for task in tasks {
                    let row = task % n, z = UnsafeBufferPointer(rebasing: logits[(row * V)..<((row + 1) * V)])
                    if task < n { (out + row).pointee.token = draw(row, z) }
                    else { (out + row).pointee.logNormaliser = logSumExp(z) }
                }
            }
        }
        return drawn
    }

    /// Takes `drawn`'s token (its draw and log-normaliser from `draws`) for `s` from its logits;
    /// false when the sequence ended (and was finalised).
    private func advance(_ s: LiveSequence, logits: UnsafeBufferPointer<Float>,
                         drawn: (token: Int32, logNormaliser: Float)) -> Bool {
        let lse = drawn.logNormaliser
        s.eosLogprobs.append(scoredEOS >= 0 ? logits[Int(scoredEOS)] - lse : 0)
        let token = drawn.token
        s.tokens.append(token)
        s.logprobs.append(logits[Int(token)] - lse)
        generatedTokens += 1
        if eosIds.contains(token) {
            s.text += Array(s.decoder.finish().utf8)
            complete(s, stopAt: firstStop(in: s.text, from: s.problem.prefix.byteCount), endedByEOS: true)
            return false
        }
        let before = s.text.count
        s.text += Array(s.decoder.push(token).utf8)
        let searchFrom = max(s.problem.prefix.byteCount, before - maxStop + 1)
        if maxStop > 0 && s.text.count > before, let cut = firstStop(in: s.text, from: searchFrom) {
            complete(s, stopAt: cut, endedByEOS: false)
            return false
        }
        if s.tokens.count >= s.problem.limit {
            s.text += Array(s.decoder.finish().utf8)
            complete(s, stopAt: firstStop(in: s.text, from: searchFrom), endedByEOS: false)
            return false
        }
        s.pending = token
        return true
    }

    /// The byte offset of the earliest stop string starting at or after `from`.
    private func firstStop(in text: [UInt8], from: Int) -> Int? {
        guard maxStop > 0 else { return nil }
        var best: Int?
        for stop in stopBytes where text.count >= stop.count {
            var i = from
            while i + stop.count <= text.count && i < (best ?? Int.max) {
                if text[i] == stop[0] && text[i..<(i + stop.count)].elementsEqual(stop) { best = i; break }
                i += 1
            }
        }
        return best
    }

    /// Fixes the sample's text, tokens and log-probability and releases its slot.
    private func complete(_ s: LiveSequence, stopAt cut: Int?, endedByEOS: Bool) {
        let finish: FinishReason = cut != nil || endedByEOS ? .stop : .length
        let textBytes = cut.map { Array(s.text[..<$0]) } ?? s.text
        let completion = String(decoding: textBytes, as: UTF8.self)
        let (tokens, logprob) = score(s, completion: completion, withEOS: finish == .stop && scoredEOS >= 0)
        s.problem.results[s.index] = GeneratedSample(sample: s.index, completion: completion, tokens: tokens,
                                                     logprob: logprob, finish: finish, generated: s.tokens.count)
        s.problem.remaining -= 1
        // A prompt slot whose samples still read it comes free with the last of them.
        freeSlots += session!.release(slot: s.slot)
    }

    /// Token count and Σ log p of tokenize(completion) (+ EOS), as the pair rule tokenizes it.
    ///
    /// When those ids are the prefix's ids followed by a prefix of what was generated (the usual
    /// case), the log-probs are already known, the EOS's included (it was scored at every
    /// position), and the prefix's are scored once per problem. Otherwise — a stop string cut
    /// inside a token, bytes that were not valid UTF-8, a non-canonical merge, a merge across the
    /// prefix's end — the completion is scored again, prompt included, in a cache of its own.
    private func score(_ s: LiveSequence, completion: String, withEOS: Bool) -> (Int, Double) {
        var ids = tokenizer.encode(completion)
        let k = ids.count, prefix = s.problem.prefix.tokens
        let g = k - prefix.count  // ids the generated tokens must supply
        let isPrefix = g >= 0 && g <= s.tokens.count && ids[..<prefix.count].elementsEqual(prefix)
            && s.tokens[..<g].elementsEqual(ids[prefix.count...])
        if isPrefix && (!withEOS || g < s.eosLogprobs.count) && (withEOS || g == s.tokens.count) {
            var total: Double = prefix.isEmpty ? 0 : prefixLogprob(s.problem)
            for j in 0..<g { total += Double(s.logprobs[j]) }
            if withEOS { total += Double(s.eosLogprobs[g]) }
            return (k + (withEOS ? 1 : 0), total)
        }
        if withEOS { ids.append(scoredEOS) }
        guard !ids.isEmpty else { return (0, 0) }
        guard options.rescore else { return (s.tokens.count, s.logprobs.reduce(0) { $0 + Double($1) }) }
        guard s.problem.prompt.count + ids.count - 1 <= weights.config.maxPositionEmbeddings else {
            // Longer than the context once re-tokenized: no trainer can score it; report what was generated.
            return (s.tokens.count, s.logprobs.reduce(0) { $0 + Double($1) })
        }
        return (ids.count, rescore(ids, after: s.problem))
    }

    /// Σ log p of the problem's prefix ids after its prompt, scored once: the same sum, in the same
    /// order, as re-scoring a completion that starts with them.
    private func prefixLogprob(_ problem: Problem) -> Double {
        if let known = problem.prefixLogprob { return known }
        let total = rescore(problem.prefix.tokens, after: problem)
        problem.prefixLogprob = total
        return total
    }

    /// Σ log p of `ids` after the problem's prompt (not its prefix), token by token, in the scorer's cache.
    private func rescore(_ ids: [Int32], after problem: Problem) -> Double {
        let P = problem.prompt.count
        if scorer == nil || scorer!.capacity < P + ids.count - 1 {
            // sized to what is scored, in 64-token steps, and grown when a longer one comes
            let needed = min(weights.config.maxPositionEmbeddings, (P + ids.count - 1 + 63) / 64 * 64)
            scorer = InferenceSession(model: decodeWeights, slots: 2, capacity: max(needed, scorer?.capacity ?? 0))
            scorerPrompt = nil
        }
        let session = scorer!
        let V = weights.config.vocabSize
        // Slot 0 keeps the last re-scored prompt, so the samples of one problem prefill it once.
        if scorerPrompt !== problem {
            session.reset(slot: 0)
            scorerFirstLogits = session.step([(slot: 0, tokens: problem.prompt)])
            scorerPrompt = problem
        }
        session.reset(slot: 1)
        session.copy(slot: 0, to: 1)
        var total: Double = 0
        scorerFirstLogits.withUnsafeBufferPointer { total += Double($0[Int(ids[0])] - logSumExp($0)) }
        // Every position's logits, a chunk of tokens at a time: each row's logits are the same
        // whatever else is in its step, and the chunk bounds the memory by chunk × vocabulary.
        var j = 1
        while j < ids.count {
            let end = min(ids.count, j + Self.scoringChunk)
            let rows = session.step([(slot: 1, tokens: Array(ids[(j - 1)..<(end - 1)]))], allLogits: true)
            rows.withUnsafeBufferPointer { all in
                for t in j..<end {
                    let row = UnsafeBufferPointer(rebasing: all[((t - j) * V)..<((t - j + 1) * V)])
                    total += Double(row[Int(ids[t])] - logSumExp(row))
                }
            }
            j = end
        }
        return total
    }

    /// Most prompt tokens prefilled in one step (a longer prompt goes alone).
    public static let prefillTokensPerStep = 512

    /// Tokens re-scored per step.
    static let scoringChunk = 64

    /// Hands out finished problems at the head of the queue.
    private func emitFinished() {
        while let p = problems.first, p.remaining == 0 {
            problems.removeFirst()
            finishedProblems += 1
            onFinish(p.results.map { $0! })
        }
    }
}

/// A problem in the generator: its prompt and prefix, the slot holding their prefill, its results so far.
private final class Problem {
    let key: UInt64
    let prompt: [Int32]
    let prefix: CompletionPrefix
    /// What the samples are conditioned on: the prompt's ids, then the prefix's.
    let context: [Int32]
    let samples: Int
    let limit: Int
    var promptSlot: Int?
    /// Logits after the prompt and prefix, from which every sample draws its first token.
    var firstLogits: [Float]?
    /// Σ log p of the prefix's ids after the prompt, once a sample needed it.
    var prefixLogprob: Double?
    var nextSample = 0
    var remaining: Int
    var results: [GeneratedSample?]

    init(key: UInt64, prompt: [Int32], prefix: CompletionPrefix, samples: Int, limit: Int) {
        self.key = key
        self.prompt = prompt
        self.prefix = prefix
        context = prompt + prefix.tokens
        self.samples = samples
        self.limit = limit
        remaining = samples
        results = Array(repeating: nil, count: samples)
    }
}

/// One sample being generated.
private final class LiveSequence {
    let problem: Problem
    let index: Int
    let slot: Int
    var sampler: Sampler
    var decoder: StreamingDecoder
    /// The token to feed at the next step.
    var pending: Int32 = 0
    var tokens: [Int32] = []
    var logprobs: [Float] = []
    /// log p(EOS) at each position, for scoring a completion cut short by a stop string.
    var eosLogprobs: [Float] = []
    var text: [UInt8] = []

    init(problem: Problem, index: Int, slot: Int, sampler: Sampler, tokenizer: Tokenizer) {
        self.problem = problem
        self.index = index
        self.slot = slot
        self.sampler = sampler
        decoder = StreamingDecoder(tokenizer: tokenizer)
        text = problem.prefix.bytes
        // Decoded after the prefix's ids, the first tokens read as mid-text (Metaspace, Strip).
        for id in problem.prefix.tokens { _ = decoder.push(id) }
    }
}
