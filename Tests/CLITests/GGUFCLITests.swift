import Foundation
import Testing

/// `--model FILE.gguf` through the built binaries, as a directory would be given.
@Suite struct GGUFCLITests {
    static let fixtures = Shell.packageRoot.appendingPathComponent("Tests/Fixtures/gguf").path

    /// sample reads a GGUF file and answers greedily with the same bytes as the HF directory it
    /// was converted from (the F32 file holds the same weights, bit for bit).
    @Test func sampleReadsAGGUFFileLikeItsDirectory() throws {
        let problems = #"{"id":1,"question":"How many eggs?"}"# + "\n" + #"{"id":2,"question":"Natalia sold 48 clips."}"# + "\n"
        func run(_ model: String) throws -> Shell.Result {
            try Shell.run("\"$BIN/irpo\" sample --model '\(model)' --template plain --temperature 0 --max-tokens 6 | jq -c 'del(.model)'",
                          stdin: problems)
        }
        let gguf = try run(Self.fixtures + "/tiny-f32.gguf")
        #expect(gguf.status == 0, "\(gguf.err)")
        #expect(gguf.out.split(separator: "\n").count == 2)
        let hf = try run(Self.fixtures + "/hf")
        #expect(hf.status == 0 && gguf.out == hf.out)
        let q4 = try run(Self.fixtures + "/tiny-q4_0.gguf")
        #expect(q4.status == 0 && q4.out.split(separator: "\n").count == 2, "\(q4.err)")
    }

    @Test func aBadGGUFFileIsOneClearError() throws {
        let r = try Shell.run("printf 'GGUF\\002\\000\\000\\000' > m.gguf; echo '{\"question\":\"x\"}' | \"$BIN/irpo\" sample --model m.gguf")
        #expect(r.status == 1)
        #expect(r.err == "sample: m.gguf: unsupported GGUF version 2 (only version 3)\n", "\(r.err)")
    }

    /// dpo-train starts from a GGUF file and writes an ordinary directory with its tokenizer and
    /// chat template; a .gguf --out is refused before any work.
    @Test func dpoTrainStartsFromGGUFAndWritesADirectory() throws {
        let pair = #"{"prompt":"Question: 2+2?\nAnswer:\n","chosen":"4","rejected":"5"}"# + "\n"
        let model = Self.fixtures + "/tiny-q8_0.gguf"
        let r = try Shell.run("""
            "$BIN/irpo" dpo-train --model '\(model)' --out m1 --max-steps 1 --batch-size 1 pairs.jsonl && ls m1
            """, files: ["pairs.jsonl": pair])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.split(separator: "\n").map(String.init) == ["chat_template.jinja", "config.json", "model.safetensors", "tokenizer.json"])
        let refused = try Shell.run("\"$BIN/irpo\" dpo-train --model '\(model)' --out m1.gguf pairs.jsonl", files: ["pairs.jsonl": pair])
        #expect(refused.status != 0 && refused.err.contains("GGUF files are read but not written"), "\(refused.err)")
    }
}
