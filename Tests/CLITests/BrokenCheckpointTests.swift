import Foundation
import Testing

/// `sample` and `dpo-train` given broken checkpoints: status 1, no output, and one message that
/// names the file and says what is wrong with it. (`eval` reads graded samples, no checkpoint.)
@Suite struct BrokenCheckpointTests {
    /// Broken copies of the fixture's m0, each made by a shell line, and what the message must say.
    static let broken: [(name: String, make: String, message: String)] = [
        ("garbage", "printf garbage > garbage/model.safetensors",
         "garbage/model.safetensors: truncated: 7 bytes, too short for the 8-byte header length"),
        ("cut", "head -c 5000 m0/model.safetensors > cut/model.safetensors",
         "cut/model.safetensors: tensor model.embed_tokens.weight: data_offsets [0, 32896] end beyond the data (2896 bytes; file truncated or header wrong)"),
        ("header", "head -c 100 m0/model.safetensors > header/model.safetensors",
         "header/model.safetensors: truncated: header length"),
        ("noweights", "rm noweights/model.safetensors",
         "noweights/model.safetensors: no model.safetensors or model.safetensors.index.json"),
        ("config", "echo '{\"model_type\":' > config/config.json", "config/config.json: not valid JSON"),
        ("gpt2", "jq '.model_type = \"gpt2\"' m0/config.json > gpt2/config.json",
         "gpt2/config.json: unsupported config: model_type \"gpt2\" is not a Llama-architecture model"),
        ("arch", "jq '.architectures = [\"GPT2LMHeadModel\"]' m0/config.json > arch/config.json",
         "arch/config.json: unsupported architectures [\"GPT2LMHeadModel\"] (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM)"),
        ("wide", "jq '.hidden_size = 64' m0/config.json > wide/config.json",
         "wide/model.safetensors: tensor model.embed_tokens.weight: shape [257, 32] but config.json implies [257, 64]"),
        ("othertok", """
            jq -c '.added_tokens += [{"id":300,"content":"<x>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}]' m0/tokenizer.json > othertok/tokenizer.json
            """,
         "othertok/tokenizer.json: model.vocab: ids up to 300, but config.json has vocab_size 257: not this model's tokenizer"),
        ("badtok", "echo '{\"model\":' > badtok/tokenizer.json", "badtok/tokenizer.json: malformed JSON"),
        ("cut.tar.gz", "tar czf whole.tar.gz m0 && head -c 3000 whole.tar.gz > cut.tar.gz", "cut.tar.gz: truncated gzip input"),
        ("junk.tar.gz", "printf 'not a tar' > junk.tar.gz", "junk.tar.gz: Unrecognized archive format"),
    ]

    static var script: String {
        var s = "\(DPOTrainFixture.makeM0) || exit 9\n"
        for b in broken {
            if !b.name.hasSuffix(".tar.gz") { s += "cp -r m0 \(b.name)\n" }
            s += "\(b.make) || exit 9\n"
        }
        return s
    }

    @Test func sampleNamesTheFileAndTheProblem() throws {
        var script = Self.script
        for b in Self.broken {
            script += #"echo '{"id":1,"question":"x"}' | "$BIN/sample" --model \#(b.name) --template plain --max-tokens 2 > out 2> err; echo "$? $(wc -c < out) $(cat err)""# + "\n"
        }
        let r = try Shell.run(script, files: DPOTrainFixture.files)
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.count == Self.broken.count, "\(r.out)\(r.err)")
        for (b, line) in zip(Self.broken, lines) {
            #expect(line.hasPrefix("1 0 sample: \(b.message)"), "\(b.name): \(line)")
        }
    }

    @Test func dpoTrainNamesTheFileAndTheProblem() throws {
        var script = Self.script
        for b in Self.broken {
            script += #""$BIN/dpo-train" --model \#(b.name) --out o pairs.jsonl 2> err; echo "$? $(test -e o && echo wrote) $(cat err)""# + "\n"
        }
        // A broken reference, and a resumable state cut short.
        script += """
            "$BIN/dpo-train" --model m0 --ref wide --out o pairs.jsonl 2> err; echo "$? $(cat err)"
            "$BIN/dpo-train" --model m0 --out s --batch-size 2 --save-every 1 --stop-after 2 pairs.jsonl || exit 9
            head -c 3000 s.state/training_state.safetensors > t && mv t s.state/training_state.safetensors
            "$BIN/dpo-train" --model m0 --out s --batch-size 2 --save-every 1 --resume pairs.jsonl 2> err; echo "$? $(test -e s && echo wrote) $(cat err)"
            "$BIN/dpo-train" --init config/config.json --tokenizer tokenizer.json --loss sft --out o sft.jsonl 2> err; echo "$? $(cat err)"
            "$BIN/dpo-train" --init config.json --tokenizer no-such.json --loss sft --out o sft.jsonl 2> err; echo "$? $(cat err)"
            """
        let r = try Shell.run(script, files: DPOTrainFixture.files)
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.count == Self.broken.count + 4, "\(r.out)\(r.err)")
        for (b, line) in zip(Self.broken, lines) {
            #expect(line.hasPrefix("1  dpo-train: \(b.message)"), "\(b.name): \(line)")
        }
        let tail = Array(lines.suffix(4))
        #expect(tail.first?.hasPrefix("1 dpo-train: wide/model.safetensors: tensor model.embed_tokens.weight: shape") == true, "\(r.out)")
        #expect(tail.dropFirst().first?.hasPrefix("1  dpo-train: s.state/training_state.safetensors: ") == true, "\(r.out)")
        #expect(tail.suffix(2) == ["1 dpo-train: config/config.json: not valid JSON", "1 dpo-train: no-such.json: no such file"], "\(r.out)")
    }
}
