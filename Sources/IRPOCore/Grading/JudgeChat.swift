import Foundation

/// A chat model's way of receiving the judge prompt: one user message through its chat
/// template, the assistant's turn opened, as transformers' apply_chat_template writes it.
public struct JudgeChat: Sendable {
    /// The judge's chat template.
    public let template: ModelChatTemplate
    /// Whether the rendered BOS text is dropped because tokenizing the prompt adds the BOS id.
    public let dropsBOS: Bool
    /// The time a template's strftime_now reads: one value for the whole run.
    public let now: Date

    /// The wrapping for a judge with `template` and `tokenizer`, at `now`.
    public init(template: ModelChatTemplate, tokenizer: Tokenizer, now: Date = Date()) {
        self.template = template
        dropsBOS = tokenizer.bosTokenIdFromPostProcessor != nil && !template.bosToken.isEmpty
        self.now = now
    }

    /// The prompt as the chat model sees it; the BOS is never there twice.
    public func wrap(_ prompt: String) throws(ChatTemplateError) -> String {
        let text = try template.render(messages: [ChatMessage(role: "user", content: prompt)], addGenerationPrompt: true,
                                       now: now)
        return dropsBOS && text.hasPrefix(template.bosToken) ? String(text.dropFirst(template.bosToken.count)) : text
    }
}
