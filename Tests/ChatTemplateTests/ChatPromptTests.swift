import Foundation
import Testing
import IRPOCore

/// A prompt through a chat template: one user turn (or a conversation), the assistant's opened, one BOS.
@Suite struct ChatPromptTests {
    static let template = try! ModelChatTemplate(
        template: ChatTemplate(source: "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}"
            + "{% if add_generation_prompt %}[assistant]\n{% endif %}"),
        bosToken: "<s>", eosToken: "</s>", file: "chat_template.jinja")

    /// A byte-level tokenizer whose post-processor puts <s> (id 256) before every prompt.
    static func addingBOS() throws -> Tokenizer {
        var json = try JSONSerialization.jsonObject(with: Tokenizer.byteLevel(specials: ["<s>"]).jsonData()) as! [String: Any]
        json["post_processor"] = try JSONSerialization.jsonObject(with: Data("""
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {"<s>": {"id": "<s>", "ids": [256], "tokens": ["<s>"]}}}
            """.utf8))
        return try Tokenizer(json: JSONSerialization.data(withJSONObject: json))
    }

    @Test func theBOSIsNeverThereTwice() throws {
        let tokenizer = try Self.addingBOS()
        #expect(tokenizer.bosTokenIdFromPostProcessor == 256)
        let wrapped = try ChatPrompt(template: Self.template, tokenizer: tokenizer).wrap("Rate this.")
        #expect(wrapped == "[user]Rate this.[assistant]\n")
        #expect(tokenizer.tokenizePrompt(wrapped).filter { $0 == 256 }.count == 1)
        // A tokenizer that adds no BOS keeps the template's.
        let plain = try ChatPrompt(template: Self.template, tokenizer: .byteLevel(specials: ["<s>"])).wrap("Rate this.")
        #expect(plain == "<s>[user]Rate this.[assistant]\n")
    }
}

/// A reply after a prompt, as TRL renders a conversational pair's chosen and rejected texts.
@Suite struct ChatCompletionTests {
    static let template = try! ModelChatTemplate(
        template: ChatTemplate(source: "{% for m in messages %}[{{ m.role }}]{{ m.content }}"
            + "{% if m.role == 'assistant' %}{{ eos_token }}\n{% endif %}{% endfor %}"
            + "{% if add_generation_prompt %}[assistant]{% endif %}"),
        bosToken: "<s>", eosToken: "</s>", file: "chat_template.jinja")

    @Test func theReplyEndsBeforeTheTemplatesEOS() throws {
        let chat = ChatPrompt(template: Self.template, tokenizer: .byteLevel(specials: ["<s>", "</s>"]))
        let prompt = [ChatMessage(role: "user", content: "2+2?")]
        #expect(try chat.render(prompt) == "[user]2+2?[assistant]")
        #expect(try chat.completion(after: prompt, reply: ChatMessage(role: "assistant", content: "4")) == "4")
    }

    @Test func aTemplateThatRewritesThePromptIsRefused() throws {
        let shifting = try ModelChatTemplate(
            template: ChatTemplate(source: "{% for m in messages %}{{ m.content }}{% endfor %}{% if add_generation_prompt %}>{% endif %}"),
            bosToken: "", eosToken: "", file: "chat_template.jinja")
        let chat = ChatPrompt(template: shifting, tokenizer: .byteLevel())
        #expect(throws: RecordFieldError.self) {
            try chat.completion(after: [ChatMessage(role: "user", content: "q")], reply: ChatMessage(role: "assistant", content: "a"))
        }
    }
}
