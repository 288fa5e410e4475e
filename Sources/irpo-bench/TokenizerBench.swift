import Foundation
import IRPOCore
import IRPOTestSupport

/// Encode throughput over the GSM8K train file on one thread, for the plain byte-level tokenizer
/// and for a byte-level BPE with a few thousand merges trained here on the same text (GPT-2 split,
/// so the pre-tokenizer scanner, the merge loop and the piece cache are all measured).
/// Each record's question and answer is encoded on its own, as `sample` and `dpo-train` do.
func tokenizerBenchLines(gsm8kTrain: String) throws -> [String] {
    let data = try Data(contentsOf: URL(fileURLWithPath: gsm8kTrain))
    var texts: [String] = []
    for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
        guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
        for key in ["question", "answer"] { if let s = object[key] as? String { texts.append(s) } }
    }
    let megabytes = Double(texts.reduce(0) { $0 + $1.utf8.count }) / 1e6

    var bpe: Tokenizer?
    let trainSeconds = seconds { bpe = Tokenizer.trainByteLevel(texts: texts, merges: 4000) }
    let tokenizers: [(String, Tokenizer)] = [("byte-level", Tokenizer.byteLevel()), ("bpe-4000", bpe!)]

    var lines: [String] = []
    for (name, tokenizer) in tokenizers {
        var tokens = 0
        // The first pass fills the BPE piece cache as any long run would; the best of three
        // later passes is reported.
        for text in texts { tokens += tokenizer.encode(text).count }
        var times: [Double] = []
        for _ in 0..<3 {
            tokens = 0
            times.append(seconds { for text in texts { tokens += tokenizer.encode(text).count } })
        }
        let best = times.min()!
        let label = name.padding(toLength: 10, withPad: " ", startingAt: 0)
        lines.append("tokenizer  encode  \(label)  " + String(format: "%6.1f MB/s  (%.2f MB, %d tokens, %.2f bytes/token)",
                                                                megabytes / best, megabytes, tokens, megabytes * 1e6 / Double(tokens)))
    }
    lines.append(String(format: "tokenizer  train   bpe-4000    %6.1f s (greedy pair merges over the same text)", trainSeconds))
    return lines
}
