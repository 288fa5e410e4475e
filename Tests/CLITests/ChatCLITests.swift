import Foundation
import Testing

/// `sample --chat`: prompts through the model's own chat template, from a question or a
/// record's `messages`.
@Suite struct ChatCLITests {
    static let model = Shell.packageRoot.appendingPathComponent("Tests/Fixtures/gguf/hf").path

    func sample(_ args: String, stdin: String) throws -> Shell.Result {
        try Shell.run("\"$BIN/sample\" --model '\(Self.model)' --temperature 0 --max-tokens 3 \(args) | jq -r .prompt",
                      stdin: stdin)
    }

    @Test func theQuestionBecomesOneUserMessage() throws {
        let r = try sample("--chat --template plain", stdin: #"{"id":1,"question":"How many eggs?"}"# + "\n")
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "<|im_start|>user\nQuestion: How many eggs?\nAnswer:\n<|im_end|>\n\n")
    }

    @Test func aRecordsMessagesAreTheConversation() throws {
        let record = #"{"id":1,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"2+2?"}]}"#
        let r = try sample("--chat", stdin: record + "\n")
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n\n")
    }

    /// A ready prompt is the model's text already (a sample record fed back): used as it is.
    @Test func aReadyPromptIsUsedAsItIs() throws {
        let r = try sample("--chat", stdin: #"{"id":1,"prompt":"as is"}"# + "\n")
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "as is\n")
    }

    @Test func badMessagesAreReportedAndSkipped() throws {
        let input = #"{"id":1,"messages":[{"role":"user"}]}"# + "\n" + #"{"id":2,"messages":"hi"}"# + "\n"
            + #"{"id":3,"question":"ok"}"# + "\n"
        let r = try Shell.run("\"$BIN/sample\" --model '\(Self.model)' --chat --template plain --max-tokens 2 in.jsonl",
                              files: ["in.jsonl": input])
        #expect(r.status == 1)
        #expect(r.out.split(separator: "\n").count == 1 && r.out.hasPrefix(#"{"id":3,"#))
        #expect(r.err.contains("sample: in.jsonl:1: \"messages\"[0] must be an object with string \"role\" and \"content\""), "\(r.err)")
        #expect(r.err.contains("sample: in.jsonl:2: \"messages\" must be a list of"), "\(r.err)")
    }

    @Test func aModelWithoutATemplateIsOneClearError() throws {
        let r = try Shell.run("\"$BIN/sample\" --model '\(SampleFixture.modelDir)' --chat", stdin: #"{"question":"x"}"# + "\n")
        #expect(r.status == 1 && r.out.isEmpty)
        #expect(r.err == "sample: \(SampleFixture.modelDir): no chat template (chat_template.jinja, or chat_template in tokenizer_config.json) for --chat\n",
                "\(r.err)")
    }
}
