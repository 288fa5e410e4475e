import Foundation
import IRPOCore
import Testing

/// Real instruct models' templates against transformers' renders of the same conversations.
@Suite struct ModelTemplateTests {
    @Test(arguments: Fixtures.renders)
    func rendersAsTransformersDoes(_ r: Fixtures.Render) throws {
        let template = try ChatTemplate(source: Fixtures.templateText(r.template))
        let result = Result { () throws(ChatTemplateError) -> String in
            if let messages = r.messages {
                return try template.render(messages: messages, addGenerationPrompt: r.addGenerationPrompt, bosToken: r.bosToken,
                                           eosToken: r.eosToken, extra: r.extra, now: Fixtures.now, timeZone: Fixtures.utc)
            }
            var variables: [String: TemplateValue] = [
                "messages": r.messageValues, "add_generation_prompt": .bool(r.addGenerationPrompt),
                "bos_token": .string(r.bosToken), "eos_token": .string(r.eosToken), "tools": .none, "documents": .none,
            ]
            variables.merge(r.extra) { _, given in given }
            return try template.render(variables: variables, now: Fixtures.now, timeZone: Fixtures.utc)
        }
        switch (r.outcome, result) {
        case (.text(let expected), .success(let got)):
            #expect(got == expected, "\(firstDifference(got, expected))")
        case (.raised(let message), .failure(.raised(let got, _))):
            #expect(got == message)
        case (.error, .failure(.render)):
            break
        default:
            Issue.record("expected \(r.outcome), got \(result)")
        }
    }

    @Test func everyTemplateParses() throws {
        for name in Set(Fixtures.renders.map(\.template)) {
            #expect(throws: Never.self, "\(name)") { try ChatTemplate(source: Fixtures.templateText(name)) }
        }
    }

    /// The alternation rule of Mistral's templates reaches the caller as their own message.
    @Test func mistralRefusesTwoUserTurnsInARow() throws {
        let template = try ChatTemplate(source: Fixtures.templateText("mistral-instruct-v1-system"))
        let messages = [ChatMessage(role: "user", content: "a"), ChatMessage(role: "user", content: "b")]
        #expect(throws: ChatTemplateError.raised(
            message: "After the optional system message, conversation roles must alternate user/assistant/user/assistant/...",
            line: 11)) {
            try template.render(messages: messages, addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>")
        }
    }

    /// Llama 3.2 dates its system turn with strftime_now unless given a date_string.
    @Test func llama32UsesTheGivenDate() throws {
        let template = try ChatTemplate(source: Fixtures.templateText("llama-3.2-instruct"))
        let user = [ChatMessage(role: "user", content: "hi")]
        let dated = try template.render(messages: user, addGenerationPrompt: true, bosToken: "", eosToken: "",
                                        now: Fixtures.now, timeZone: Fixtures.utc)
        #expect(dated.contains("Today Date: 09 Mar 2025\n"))
        let given = try template.render(messages: user, addGenerationPrompt: true, bosToken: "", eosToken: "",
                                        extra: ["date_string": "01 Jan 2030"], now: Fixtures.now, timeZone: Fixtures.utc)
        #expect(given.contains("Today Date: 01 Jan 2030\n"))
    }
}

/// The language pieces, each against transformers' Jinja environment.
@Suite struct SnippetTests {
    @Test(arguments: Fixtures.snippets)
    func rendersAsTransformersDoes(_ s: Fixtures.Snippet) throws {
        let result = Result { () throws(ChatTemplateError) -> String in
            try ChatTemplate(source: s.template).render(variables: s.variables, now: Fixtures.now, timeZone: Fixtures.utc)
        }
        switch (s.outcome, result) {
        case (.text(let expected), .success(let got)):
            #expect(got == expected, "\(firstDifference(got, expected))")
        case (.raised(let message), .failure(.raised(let got, _))):
            #expect(got == message)
        case (.error, .failure(.render)), (.error, .failure(.syntax)):
            break
        default:
            Issue.record("expected \(s.outcome), got \(result)")
        }
    }
}
