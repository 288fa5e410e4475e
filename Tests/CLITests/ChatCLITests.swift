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

/// dpo-train on TRL's conversational pairs: the same training as the plain pairs the chat
/// template writes, with the EOS appended once.
@Suite struct ConversationalPairsCLITests {
    @Test func conversationalPairsTrainAsTheirRenderedText() throws {
        let conversational = #"{"prompt":[{"role":"user","content":"2+2?"}],"chosen":[{"role":"assistant","content":"4"}],"rejected":{"role":"assistant","content":"5"}}"#
        // The fixture's template writes no generation prompt, so the assistant's header opens the
        // completion; it ends each turn with <|im_end|>, its EOS, which dpo-train appends itself.
        let plain = #"{"prompt":"<|im_start|>user\n2+2?<|im_end|>\n","chosen":"<|im_start|>assistant\n4","rejected":"<|im_start|>assistant\n5"}"#
        let r = try Shell.run("""
            for f in conv plain; do
              "$BIN/dpo-train" --model '\(ChatCLITests.model)' --out m-$f --max-steps 1 --batch-size 1 --metrics $f.metrics $f.jsonl || exit 1
              jq -c '{c: ."logps/chosen", r: ."logps/rejected"}' $f.metrics
            done
            cmp m-conv/model.safetensors m-plain/model.safetensors && echo same-model
            """, files: ["conv.jsonl": conversational + "\n", "plain.jsonl": plain + "\n"])
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n")
        #expect(lines.count == 3 && lines[0] == lines[1] && lines[2] == "same-model", "\(r.out)")
    }

    @Test func aConversationalPairNeedsAChatTemplateAndOneAssistantReply() throws {
        let noTemplate = try Shell.run("""
            "$BIN/dpo-train" --model '\(SampleFixture.modelDir)' --out m --max-steps 1 pairs.jsonl
            """, files: ["pairs.jsonl": #"{"prompt":[{"role":"user","content":"x"}],"chosen":[{"role":"assistant","content":"a"}],"rejected":[{"role":"assistant","content":"b"}]}"# + "\n"])
        #expect(noTemplate.status == 1)
        #expect(noTemplate.err.contains("pairs.jsonl:1: a conversational record needs the model's chat template, and \(SampleFixture.modelDir) has none"),
                "\(noTemplate.err)")
        let twoReplies = try Shell.run("""
            "$BIN/dpo-train" --model '\(ChatCLITests.model)' --out m --max-steps 1 pairs.jsonl
            """, files: ["pairs.jsonl": #"{"prompt":[{"role":"user","content":"x"}],"chosen":[{"role":"user","content":"a"}],"rejected":[{"role":"assistant","content":"b"}]}"# + "\n"])
        #expect(twoReplies.status == 1)
        #expect(twoReplies.err.contains("pairs.jsonl:1: \"chosen\" must be one assistant message in a conversational pair"), "\(twoReplies.err)")
    }
}
