import Foundation
import IRPOCore

/// The files the man pages' EXAMPLES name, made once per test run in one directory.
///
/// `m1` (and its copy `m2`) is a hand-built model whose layers add nothing, so each next token
/// depends on the current one alone: after a newline (the end of every prompt template) it writes
/// the token " Final answer: ", then a digit 1-9 (uniformly when sampling, 1 when greedy), then
/// EOS. Sampled thirty times, a problem whose answer is a digit gets right and wrong answers, so
/// the examples' pipelines make pairs and train on them, in a second. `reward` is the committed
/// reward-model fixture (Tests/Fixtures/reward), for grade's --reward-model example.
///
/// `judge` is built the same way with the token "Score: " and the digits 1-5, and a context
/// long enough for the paper's judge prompt: after any prompt that ends with a line break it
/// writes "Score: d", so `grade --judge judge` gives every completion a score of 1 to 5.
///
/// `instruct` is `m1` with a chat template whose rendering ends with a line break, for `--chat`.
enum ExampleFixture {
    static let problems = [(3, 4), (2, 3), (1, 5), (4, 4), (6, 3)].enumerated().map { i, p in
        #"{"id":\#(i + 1),"question":"What is \#(p.0) plus \#(p.1)?","answer":"\#(p.0) + \#(p.1) = <<\#(p.0)+\#(p.1)=\#(p.0 + p.1)>>\#(p.0 + p.1)\n#### \#(p.0 + p.1)"}"#
    }

    static let dir: String = {
        let dir = NSTemporaryDirectory() + "irpo-examples-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try! CheckpointIO.save(Checkpoint(weights: answeringWeights(), tokenizerJSON: tokenizer.jsonData()), to: dir + "/m1")
        try! CheckpointIO.save(Checkpoint(weights: answeringWeights(answers: 1...5, context: 4096),
                                          tokenizerJSON: judgeTokenizer.jsonData()), to: dir + "/judge")
        let r = try! Shell.run("""
            set -e
            cp -r m1 m2 && cp m1/config.json m1/tokenizer.json .
            cp -r m1 instruct && mv chat_template.jinja instruct/
            for i in 1 2 3; do
              "$BIN/sample" --model m$((i % 2 + 1)) -n 4 --seed $i < test.jsonl | "$BIN/grade" > test-m$i.jsonl
              gzip -c test-m$i.jsonl > graded-$i.jsonl.gz
            done
            cp test-m1.jsonl graded.jsonl
            "$BIN/sample" --model m1 < test.jsonl | zstd -q > samples.jsonl.zst
            mkdir -p .build && ln -s "$BIN" .build/release
            cp -r '\(Shell.packageRoot.path)/Tests/Fixtures/reward/model' reward
            """, in: dir, files: ["train.jsonl": problems.prefix(3).joined(separator: "\n") + "\n",
                                  "test.jsonl": problems.suffix(2).joined(separator: "\n") + "\n",
                                  "chat_template.jinja": chatTemplate])
        precondition(r.status == 0, "example fixture: \(r.err)")
        return dir
    }()

    /// A chat template in the common shape: a role line per message, the assistant's opened.
    static let chatTemplate = "{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}\n{% endfor %}"
        + "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"

    /// Bytes, then EOS (256) and the answer marker (257).
    static let tokenizer = Tokenizer.byteLevel(specials: ["<|endoftext|>", " Final answer: "])
    /// Bytes, then EOS (256) and the judge's score marker (257).
    static let judgeTokenizer = Tokenizer.byteLevel(specials: ["<|endoftext|>", "Score: "])

    /// The model that writes the marker token and one of the digits `answers` after a line break.
    static func answeringWeights(answers: ClosedRange<Int> = 1...9, context: Int = 512) -> ModelWeights {
        let h = 16, eos = 256, marker = 257
        let config = try! LlamaConfig(vocabSize: 258, hiddenSize: h, intermediateSize: 32, numHiddenLayers: 1,
                                      numAttentionHeads: 2, numKeyValueHeads: 1, maxPositionEmbeddings: context,
                                      eosTokenIds: [eos])
        let w = ModelWeights(config: config)  // zeros: attention and MLP add nothing to the residual
        // Each token's embedding is one of four states; the final RMSNorm scales it to sqrt(h) = 4.
        let digits = Array(48...57)
        let embedding = w.tensor(named: "model.embed_tokens.weight")!
        for t in 0..<258 {
            let state = t == 10 ? 0 : t == marker ? 1 : digits.contains(t) ? 2 : 3
            embedding[t * h + state] = 1
        }
        for i in 0..<h { w.tensor(named: "model.norm.weight")![i] = 1 }
        // lm_head row v, column state: a quarter of the logit of v after that state.
        let head = w.tensor(named: "lm_head.weight")!
        head[marker * h + 0] = 3                            // newline -> the marker, logit 12
        for d in answers { head[(48 + d) * h + 1] = 2.5 }     // marker -> a digit of `answers`, logit 10
        head[eos * h + 2] = 3                               // digit -> EOS
        head[eos * h + 3] = 3                               // anything else -> EOS
        return w
    }
}
