import ArgumentParser
import IRPOCore

/// `grade --reward-model` and the template of records that carry no "prompt" (--batch and
/// --threads are the judge's, shared).
public struct RewardOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Reward model directory or .tar/.tar.gz bundle (LlamaForSequenceClassification with one label, tokenizer.json); adds \"reward\" to each record.",
                               valueName: "dir"))
    public var rewardModel: String?

    @Option(help: ArgumentHelp("Prompt template of records without \"prompt\": gsm8k, arc, plain, or a file with a {question} placeholder (default: the reward model's irpo.json, else gsm8k).",
                               valueName: "name|file"))
    public var template: String?

    /// Defaults.
    public init() {}

    public func validate() throws {
        if rewardModel == nil, template != nil { throw ValidationError("--template is only used with --reward-model") }
        if let template { do { _ = try PromptTemplate.resolve(template) } catch { throw ValidationError("--template \(error)") } }
    }

    /// A scorer over the reward model that hands scored records to `write`, or nil without
    /// --reward-model, scoring `batch` records together (default 16); a model that cannot be
    /// used is reported and ends the command with status 1.
    public func scorer(batch: Int?, diagnostics: Diagnostics, write: @escaping (JSONRecord) -> Void) throws -> RewardScorer? {
        guard let rewardModel else { return nil }
        let (loaded, score) = try ModelLoader.loadRewardModel(rewardModel, diagnostics: diagnostics)
        guard let eos = loaded.config.eosTokenIds.first else {
            diagnostics.error("\(rewardModel)/config.json: no eos_token_id, which ends each completion as dpo-train scores it")
            throw ExitCode(ExitStatus.failure)
        }
        let (_, template) = try loaded.promptSetup(template: template, display: rewardModel, diagnostics: diagnostics)
        let model = RewardModel(weights: loaded.checkpoint.weights, score: score, batch: batch ?? 16)
        return RewardScorer(model: model, tokenizer: loaded.tokenizer, eos: Int32(eos), template: template, write: write)
    }
}
