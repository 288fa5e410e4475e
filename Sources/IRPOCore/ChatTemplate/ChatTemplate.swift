import Foundation

/// One turn of a conversation: who speaks ("system", "user", "assistant") and what they say.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String

    /// A message of `role` saying `content`.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// The message as a template sees it: a dict with "role" and "content", in that order.
    public var templateValue: TemplateValue {
        .dict(TemplateDict([("role", .string(role)), ("content", .string(content))]))
    }
}

/// A model's Jinja chat template, parsed once and rendered per conversation to the exact text
/// transformers' `apply_chat_template(..., tokenize=False)` produces. The subset implemented is
/// what the templates of Llama 3.x, Qwen2.5, Mistral and SmolLM2 instruct models use; any
/// other construct is refused by name when the template is parsed or, for a value only known
/// then, when it renders.
public struct ChatTemplate: Sendable {
    /// The template text as given.
    public let source: String
    private let nodes: [TemplateNode]

    /// Parses `source`; throws a syntax error or names the first unsupported construct.
    public init(source: String) throws(ChatTemplateError) {
        self.source = source
        nodes = try TemplateParser.parse(source)
    }

    /// The text for `messages`: with `addGenerationPrompt` the template's opening of an assistant
    /// turn follows, for sampling; without, a conversation that ends with an assistant turn is
    /// rendered whole, for training pairs. The template sees `messages`, `add_generation_prompt`,
    /// `bos_token`, `eos_token`, `tools` and `documents` (both None), then `extra`, which wins
    /// over all of them (e.g. `date_string`, or `tools`). `now` is what `strftime_now` reads, as
    /// local time in `timeZone`.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String, eosToken: String,
                       extra: [String: TemplateValue] = [:], now: Date = Date(),
                       timeZone: TimeZone = .current) throws(ChatTemplateError) -> String {
        var variables: [String: TemplateValue] = [
            "messages": .list(messages.map(\.templateValue)),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken),
            "eos_token": .string(eosToken),
            "tools": .none,
            "documents": .none,
        ]
        variables.merge(extra) { _, given in given }
        return try render(variables: variables, now: now, timeZone: timeZone)
    }

    /// The text for arbitrary template variables (messages with tool calls, custom keys, ...).
    public func render(variables: [String: TemplateValue], now: Date = Date(),
                       timeZone: TimeZone = .current) throws(ChatTemplateError) -> String {
        var evaluator = TemplateEvaluator(variables: variables, now: now, timeZone: timeZone)
        try evaluator.execute(nodes)
        return evaluator.output
    }
}
