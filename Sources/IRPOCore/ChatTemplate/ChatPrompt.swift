import Foundation

/// A chat model's way of receiving a prompt: messages through its chat template with the
/// assistant's turn opened, as transformers' apply_chat_template writes it, without the BOS text
/// when tokenizing the prompt adds the BOS id (so it is never there twice).
public struct ChatPrompt: Sendable {
    /// The model's chat template.
    public let template: ModelChatTemplate
    /// Whether the rendered BOS text is dropped because tokenizing the prompt adds the BOS id.
    public let dropsBOS: Bool
    /// The time a template's strftime_now reads: one value for the whole run.
    public let now: Date

    /// The wrapping for a model with `template` and `tokenizer`, at `now`.
    public init(template: ModelChatTemplate, tokenizer: Tokenizer, now: Date = Date()) {
        self.template = template
        dropsBOS = tokenizer.bosTokenIdFromPostProcessor != nil && !template.bosToken.isEmpty
        self.now = now
    }

    /// `prompt` as one user message.
    public func wrap(_ prompt: String) throws(ChatTemplateError) -> String {
        try render([ChatMessage(role: "user", content: prompt)])
    }

    /// The text of `reply` after `prompt` rendered as `render(prompt)` leaves it, as TRL builds a
    /// conversational pair's chosen or rejected text, cut before the last EOS text the template
    /// writes: the EOS is the token dpo-train appends, so it is never there twice.
    public func completion(after prompt: [ChatMessage], reply: ChatMessage) throws -> String {
        let opened = try template.render(messages: prompt, addGenerationPrompt: true, now: now)
        let whole = try template.render(messages: prompt + [reply], addGenerationPrompt: false, now: now)
        guard whole.hasPrefix(opened) else {
            throw RecordFieldError(field: "prompt", reason: "the chat template does not write the prompt with the "
                                   + "assistant's turn opened as the start of the whole conversation")
        }
        var text = Substring(whole.dropFirst(opened.count))
        if !template.eosToken.isEmpty, let eos = text.range(of: template.eosToken, options: .backwards) {
            text = text[..<eos.lowerBound]
        }
        return String(text)
    }

    /// A conversation, the assistant to speak next.
    public func render(_ messages: [ChatMessage]) throws(ChatTemplateError) -> String {
        let text = try template.render(messages: messages, addGenerationPrompt: true, now: now)
        return dropsBOS && text.hasPrefix(template.bosToken) ? String(text.dropFirst(template.bosToken.count)) : text
    }
}
