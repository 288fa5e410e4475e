import Foundation
import IRPOCore
import Testing

/// A fresh directory holding `files`, removed when `body` returns.
private func withDirectory<T>(_ files: [String: String], _ body: (String) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chat-template-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/" + name)) }
    return try body(dir)
}

/// A JSON string literal of `s`.
private func quoted(_ s: String) -> String { JSONSerializer.string(.string(s)) }

private let smolTemplate = Fixtures.templateText("smollm2-135m-instruct")
private let systemUser = [ChatMessage(role: "system", content: "You are a careful math tutor. Answer step by step."),
                          ChatMessage(role: "user", content: "What is 17 * 23?")]

@Suite struct ModelChatTemplateLoadingTests {
    /// tokenizer_config.json's string template and its tokens, as a SmolLM2 directory has them.
    @Test func tokenizerConfigStringTemplate() throws {
        let config = """
            {"add_prefix_space": false, "bos_token": "<|im_start|>", "eos_token": "<|im_end|>",
             "chat_template": \(quoted(smolTemplate)), "model_max_length": 8192}
            """
        let loaded = try withDirectory(["tokenizer_config.json": config]) { try ModelChatTemplate.load($0) }
        let model = try #require(loaded)
        #expect(model.bosToken == "<|im_start|>" && model.eosToken == "<|im_end|>")
        #expect(model.file.hasSuffix("/tokenizer_config.json"))
        let expected = Fixtures.renders.first { $0.template == "smollm2-135m-instruct" && $0.caseName == "system-user" && $0.addGenerationPrompt }
        guard case .text(let text)? = expected?.outcome else { Issue.record("no fixture"); return }
        #expect(try model.render(messages: systemUser, addGenerationPrompt: true) == text)
    }

    /// chat_template.jinja wins over tokenizer_config.json, whose added-token objects give the tokens.
    @Test func templateFileWinsAndTokensMayBeObjects() throws {
        let config = """
            {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false}, "eos_token": {"content": "</s>"},
             "chat_template": "{{ 'from the config' }}"}
            """
        let files = ["tokenizer_config.json": config, "chat_template.jinja": "{{ bos_token }}file{{ eos_token }}\n"]
        let model = try #require(try withDirectory(files) { try ModelChatTemplate.load($0) })
        #expect(model.file.hasSuffix("/chat_template.jinja"))
        #expect(try model.render(messages: [], addGenerationPrompt: false) == "<s>file</s>")
    }

    @Test func namedTemplatesPickDefault() throws {
        let config = """
            {"chat_template": [{"name": "tool_use", "template": "tools"}, {"name": "default", "template": "plain"}]}
            """
        let model = try #require(try withDirectory(["tokenizer_config.json": config]) { try ModelChatTemplate.load($0) })
        #expect(try model.render(messages: [], addGenerationPrompt: false) == "plain")
        #expect(model.bosToken == "" && model.eosToken == "")
    }

    @Test func namedTemplatesWithoutDefaultAreRefused() throws {
        let config = #"{"chat_template": [{"name": "tool_use", "template": "tools"}, {"name": "rag", "template": "rag"}]}"#
        #expect(throws: CheckpointError.self) { try withDirectory(["tokenizer_config.json": config]) { try ModelChatTemplate.load($0) } }
        do {
            _ = try withDirectory(["tokenizer_config.json": config]) { try ModelChatTemplate.load($0) }
        } catch let e as CheckpointError {
            #expect(e.file.hasSuffix("/tokenizer_config.json"))
            #expect(e.problem == #""chat_template" has templates "tool_use", "rag" but none named "default""#)
        }
    }

    @Test func noTemplateIsNil() throws {
        #expect(try withDirectory([:]) { try ModelChatTemplate.load($0) } == nil)
        #expect(try withDirectory(["tokenizer_config.json": #"{"bos_token": "<s>"}"#]) { try ModelChatTemplate.load($0) } == nil)
    }

    @Test func anUnsupportedTemplateNamesTheFileAndTheConstruct() throws {
        do {
            _ = try withDirectory(["chat_template.jinja": "ok\n{{ messages|map(attribute='content') }}"]) { try ModelChatTemplate.load($0) }
            Issue.record("loaded")
        } catch let e as CheckpointError {
            #expect(e.file.hasSuffix("/chat_template.jinja"))
            #expect(e.problem == "chat template uses unsupported filter 'map' (line 2)")
        }
    }

    @Test func badTokenizerConfigsNameTheKey() throws {
        for (config, problem) in [
            (#"{"bos_token": 5}"#, #""bos_token" must be a string or an object with "content", not a number"#),
            (#"{"eos_token": {"special": true}}"#, #""eos_token" object has no string "content""#),
            (#"{"chat_template": 3}"#, #""chat_template" must be a string or a list of {name, template}, not a number"#),
            ("[]", "not a JSON object"),
        ] {
            do {
                _ = try withDirectory(["tokenizer_config.json": config]) { try ModelChatTemplate.load($0) }
                Issue.record("loaded \(config)")
            } catch let e as CheckpointError {
                #expect(e.problem == problem)
            }
        }
    }

    /// A bundle is read like a directory, and a loaded checkpoint carries the files along.
    @Test func bundlesAndLoadedCheckpoints() throws {
        let config = try LlamaConfig(vocabSize: 11, hiddenSize: 8, intermediateSize: 12, numHiddenLayers: 1,
                                     numAttentionHeads: 2, numKeyValueHeads: 1, rmsNormEps: 1e-5, ropeTheta: 10000,
                                     tieWordEmbeddings: false, bosTokenId: 1, eosTokenIds: [2])
        let checkpoint = Checkpoint(weights: ModelWeights(config: config), extraFiles: [
            "chat_template.jinja": Data("{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{{ eos_token }}".utf8),
            "tokenizer_config.json": Data(#"{"eos_token": "<eos>"}"#.utf8),
        ])
        try withDirectory([:]) { dir in
            let bundle = dir + "/m.tar.gz"
            try CheckpointIO.save(checkpoint, to: bundle)
            let messages = [ChatMessage(role: "user", content: "hi")]
            let fromBundle = try #require(try ModelChatTemplate.load(bundle))
            #expect(try fromBundle.render(messages: messages, addGenerationPrompt: false) == "[user]hi<eos>")
            let loaded = try CheckpointIO.load(bundle)
            let fromFiles = try #require(try ModelChatTemplate(files: loaded.extraFiles, display: bundle))
            #expect(try fromFiles.render(messages: messages, addGenerationPrompt: false) == "[user]hi<eos>")
        }
    }
}
