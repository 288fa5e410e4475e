import Foundation
import Testing
@testable import IRPOCore

/// GGUF files made by llama.cpp's converter load into the model transformers computes.
@Suite struct GGUFLoadTests {
    /// Same weights, float32 arithmetic in another order (our kernels against PyTorch's), two
    /// layers of width 32 to 64: roundoff stays near 1e-6 of the largest logit. A mapping mistake
    /// (a head in the wrong place, q/k left interleaved, a norm in the wrong slot) moves logits
    /// by a sizeable fraction of their range, far above this.
    static let logitTolerance: Float = 1e-4

    @Test(arguments: GGUFFixtures.types)
    func eachTypeLoadsWithTheHFConfig(_ type: String) throws {
        let gguf = try CheckpointIO.load(GGUFFixtures.path(type))
        let hf = try CheckpointIO.load(GGUFFixtures.hfDirectory)
        #expect(gguf.config == hf.config)
        #expect(!gguf.config.tieWordEmbeddings)
        #expect(try CheckpointIO.loadConfig(GGUFFixtures.path(type)) == hf.config)
        #expect(try CheckpointIO.loadTrainingState(GGUFFixtures.path(type)) == nil)
    }

    @Test func f32IsTheHFDirectoryBitForBit() throws {
        let gguf = try CheckpointIO.load(GGUFFixtures.path("F32")).weights
        let hf = try CheckpointIO.load(GGUFFixtures.hfDirectory).weights
        for slot in hf.layout.slots {
            let same = gguf.tensor(slot).elementsEqual(hf.tensor(slot)) { $0.bitPattern == $1.bitPattern }
            #expect(same, "\(slot.name) differs")
        }
        let prompt = GGUFFixtures.prompts[0]
        let a = GGUFRun.logits(gguf, prompt, last: 3), b = GGUFRun.logits(hf, prompt, last: 3)
        #expect(a.flatMap { $0 }.elementsEqual(b.flatMap { $0 }) { $0.bitPattern == $1.bitPattern })
    }

    @Test func hfDirectoryMatchesTransformers() throws {
        let hf = try CheckpointIO.load(GGUFFixtures.hfDirectory).weights
        let err = GGUFRun.relativeError(GGUFRun.logits(hf, GGUFFixtures.prompts[0], last: 3), GGUFFixtures.logits("hf"))
        #expect(err <= Self.logitTolerance, "relative error \(err)")
    }

    /// Each file against transformers' own load of the same file (its dequantiser and its undoing
    /// of the q/k permutation, written independently of ours): the same weights, so the same
    /// tolerance as F32.
    @Test(arguments: GGUFFixtures.types)
    func logitsMatchTransformersOnTheSameFile(_ type: String) throws {
        let weights = try CheckpointIO.load(GGUFFixtures.path(type)).weights
        let ours = GGUFRun.logits(weights, GGUFFixtures.prompts[0], last: 3)
        let err = GGUFRun.relativeError(ours, GGUFFixtures.logits(type))
        print("\(type): logits relative error against transformers \(err)")
        #expect(err <= Self.logitTolerance, "\(type): relative error \(err)")
    }

    @Test(arguments: GGUFFixtures.types)
    func greedyTokensMatchTransformers(_ type: String) throws {
        let weights = try CheckpointIO.load(GGUFFixtures.path(type)).weights
        let expected = GGUFFixtures.greedy(type)
        for (prompt, want) in zip(GGUFFixtures.prompts, expected) {
            #expect(GGUFRun.greedy(weights, prompt, count: want.count) == want, "\(type)")
        }
    }

    /// Each dequantised weight against the F32 original, within what its encoding can lose
    /// (per block of 32 along a row, amax = the block's largest magnitude):
    /// - F16 and BF16 round each value once: 2^-11 and 2^-8 relative.
    /// - Q8_0 stores q = round(w/d), d = amax/127, and d rounded to fp16: |w − q·d16| ≤ d/2 + 127·d·2^-11 < 0.6·d.
    /// - Q4_0 stores q − 8 = round(w/d) clipped to [−8, 7], d = (signed max)/−8: a value of the
    ///   other sign near −8·d clips by up to one step, so |w − ŵ| ≤ |d|(1 + 8·2^-11) < amax/7.
    /// - Q4_1 stores q = round((w − min)/d), d = (max − min)/15, d and min in fp16:
    ///   |w − ŵ| ≤ d/2 + 15·d·2^-11 + |min|·2^-11 < 0.6·d + amax/1000.
    @Test(arguments: ["F16", "BF16", "Q8_0", "Q4_0", "Q4_1"])
    func dequantisedWeightsAreWithinTheQuantisationError(_ type: String) throws {
        let f32 = try CheckpointIO.load(GGUFFixtures.path("F32")).weights
        let quantised = try CheckpointIO.load(GGUFFixtures.path(type)).weights
        let file = try GGUFFile(path: GGUFFixtures.path(type), display: type)
        var checked = Set<String>()
        for name in GGUFModel.tensorNames(f32.config) {
            let info = try #require(file.tensor(named: name.gguf))
            checked.insert(info.type.name!)
            let slot = f32.layout.slot(named: name.hf)!
            let w = f32.tensor(slot), q = quantised.tensor(slot)
            let block = info.type.layout!.blockSize == 32 ? 32 : 1
            var worst: Float = 0
            for start in stride(from: 0, to: w.count, by: block) {
                let values = w[start..<start + block]
                let amax = values.map(abs).max()!
                let bound: Float
                switch info.type {
                case .f32: bound = 0
                case .f16: bound = amax * 0x1p-11
                case .bf16: bound = amax * 0x1p-8
                case .q8_0: bound = 0.6 * amax / 127
                case .q4_0: bound = amax / 7
                case .q4_1: bound = 0.6 * (values.max()! - values.min()!) / 15 + amax / 1000
                default: Issue.record("unexpected type \(info.type)"); return
                }
                for i in start..<start + block {
                    let e = abs(w[i] - q[i])
                    // F16 and BF16 bound each value by its own size, not the block's.
                    let limit = block == 1 ? abs(w[i]) * (info.type == .f16 ? 0x1p-11 : 0x1p-8) : bound
                    #expect(e <= limit, "\(name.hf)[\(i)]: \(w[i]) became \(q[i])")
                    if e > limit { return }
                    worst = max(worst, e)
                }
            }
            #expect(info.type == .f32 || worst > 0 || w.allSatisfy { $0 == 0 }, "\(name.hf) is unchanged by \(type)")
        }
        #expect(checked.contains(type), "no tensor of \(type) in the file: \(checked)")
    }

    @Test func tokenizerIdsMatchTheHFTokenizer() throws {
        let checkpoint = try CheckpointIO.load(GGUFFixtures.path("Q4_0"))
        let ours = try Tokenizer(json: try #require(checkpoint.tokenizerJSON))
        let hf = try Tokenizer(contentsOf: GGUFFixtures.hfDirectory + "/tokenizer.json")
        #expect(ours.vocabSize == hf.vocabSize)
        #expect(ours.bosTokenIdFromPostProcessor == nil)
        for (text, ids) in GGUFFixtures.texts {
            #expect(ours.encode(text) == ids, "\(text.debugDescription)")
            #expect(hf.encode(text) == ids, "\(text.debugDescription)")
            #expect(ours.decode(ids) == text)
        }
        for id in 0..<Int32(ours.vocabSize) { #expect(ours.token(of: id) == hf.token(of: id), "id \(id)") }
        for prompt in GGUFFixtures.expected.prompts { #expect(ours.encode(prompt.text) == prompt.ids) }
    }

    @Test func chatTemplateIsCarriedAsTheHFFile() throws {
        let gguf = try CheckpointIO.load(GGUFFixtures.path("F16"))
        let hf = try CheckpointIO.load(GGUFFixtures.hfDirectory)
        let template = try #require(gguf.chatTemplate)
        #expect(template.hasPrefix("{% for m in messages %}"))
        #expect(template == hf.chatTemplate)
        #expect(gguf.extraFiles.keys.sorted() == ["chat_template.jinja"])
    }

    /// A model read from GGUF is written as an ordinary directory that reads back the same.
    @Test func savesAsADirectory() throws {
        let gguf = try CheckpointIO.load(GGUFFixtures.path("Q8_0"))
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-save-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        try CheckpointIO.save(gguf, to: out)
        let back = try CheckpointIO.load(out)
        #expect(sameBits(back.weights, gguf.weights))
        #expect(back.tokenizerJSON == gguf.tokenizerJSON)
        #expect(back.chatTemplate == gguf.chatTemplate)
    }

    /// Without output.weight the head is the embedding, as llama.cpp writes tied models.
    @Test func noOutputWeightMeansTiedEmbeddings() throws {
        var builder = try GGUFBuilder(reading: GGUFFixtures.path("F32"))
        builder.tensors.removeAll { $0.name == "output.weight" }
        let tied = try CheckpointIO.load(try builder.write())
        #expect(tied.config.tieWordEmbeddings)
        let f32 = try CheckpointIO.load(GGUFFixtures.path("F32")).weights
        let embedding = f32.tensor(named: "model.embed_tokens.weight")!
        #expect(tied.weights.tensor(named: "model.embed_tokens.weight")!.elementsEqual(embedding))
        #expect(tied.weights.layout.lmHead == tied.weights.layout.embedding)
    }

    /// Our writer reproduces a converter's file closely enough to load the same weights, so the
    /// corrupted files built from it differ from a good file only by what each test changes.
    @Test func rewrittenFixtureLoadsTheSame() throws {
        let path = try GGUFBuilder(reading: GGUFFixtures.path("Q4_1")).write()
        #expect(sameBits(try CheckpointIO.load(path).weights, try CheckpointIO.load(GGUFFixtures.path("Q4_1")).weights))
    }

    /// convert_hf_to_gguf.py stores HF row h·HS + j·HS/2 + i at h·HS + 2i + j.
    @Test func ropeRowsAreUninterleaved() {
        let heads = 2, hs = 8, columns = 2
        let hfRows: [[Float]] = (0..<heads * hs).map { r in (0..<columns).map { Float(r * 10 + $0) } }
        var stored = hfRows
        for h in 0..<heads { for j in 0..<2 { for i in 0..<hs / 2 { stored[h * hs + 2 * i + j] = hfRows[h * hs + j * hs / 2 + i] } } }
        var flat = stored.flatMap { $0 }
        flat.withUnsafeMutableBufferPointer { GGUFModel.unpermuteRoPERows($0, rows: heads * hs, columns: columns, heads: heads) }
        #expect(flat == hfRows.flatMap { $0 })
    }
}
