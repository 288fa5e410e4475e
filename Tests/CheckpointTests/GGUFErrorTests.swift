import Foundation
import Testing
@testable import IRPOCore

/// A GGUF file we cannot read exactly is refused with the file, the key or tensor, and the reason.
@Suite struct GGUFErrorTests {
    static let f32 = GGUFFixtures.path("F32")

    static func bytes() throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: f32))) }

    /// The CheckpointError that loading `path` throws.
    static func loadError(_ path: String) -> CheckpointError? {
        checkpointError { _ = try CheckpointIO.load(path) }
    }

    static func edited(_ edit: (inout GGUFBuilder) -> Void) throws -> String {
        var builder = try GGUFBuilder(reading: f32)
        edit(&builder)
        return try builder.write()
    }

    @Test(arguments: [3, 100, 400, 3000])
    func truncatedInsideTheHeader(_ length: Int) throws {
        let path = try GGUFBuilder.write(Array(try Self.bytes().prefix(length)))
        let e = try #require(Self.loadError(path))
        #expect(e.file == path)
        #expect(e.problem.hasPrefix("truncated"), "\(e)")
    }

    @Test func truncatedInsideTheData() throws {
        let path = try GGUFBuilder.write(Array(try Self.bytes().dropLast(100)))
        let e = try #require(Self.loadError(path))
        #expect(e.tensor != nil && e.problem.contains("beyond the end of the file") && e.problem.contains("truncated"), "\(e)")
    }

    @Test func badMagic() throws {
        var bytes = try Self.bytes()
        bytes[3] = UInt8(ascii: "X")
        let e = try #require(Self.loadError(try GGUFBuilder.write(bytes)))
        #expect(e.problem == "not a GGUF file: it starts with \"GGUX\", not \"GGUF\"", "\(e)")
    }

    @Test func versionTwo() throws {
        var builder = try GGUFBuilder(reading: Self.f32)
        builder.version = 2
        let e = try #require(Self.loadError(try builder.write()))
        #expect(e.problem == "unsupported GGUF version 2 (only version 3)", "\(e)")
    }

    @Test func bigEndianVersionIsNamed() throws {
        var builder = try GGUFBuilder(reading: Self.f32)
        builder.version = UInt32(3).byteSwapped
        let e = try #require(Self.loadError(try builder.write()))
        #expect(e.problem.hasSuffix("the file looks big-endian"), "\(e)")
    }

    @Test func unknownGGMLType() throws {
        let path = try Self.edited { b in b.tensors[b.tensors.firstIndex { $0.name == "output.weight" }!].type = 99 }
        let e = try #require(Self.loadError(path))
        #expect(e.tensor == "output.weight" && e.problem == "unknown ggml type 99", "\(e)")
    }

    @Test func unsupportedGGMLTypeIsNamed() throws {
        // One IQ2_XXS block (256 values, 66 bytes) stands in for the embedding: the type is refused
        // before any shape is compared.
        let path = try Self.edited { b in
            b.tensors[b.tensors.firstIndex { $0.name == "token_embd.weight" }!] = .init(name: "token_embd.weight", dims: [256, 1], type: 16, bytes: Array(repeating: 0, count: 66))
        }
        let e = try #require(Self.loadError(path))
        #expect(e.tensor == "token_embd.weight", "\(e)")
        #expect(e.problem == "unsupported ggml type IQ2_XXS (16) (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)", "\(e)")
    }

    @Test func blockTypeNeedsWholeBlocksPerRow() throws {
        let path = try Self.edited { b in
            b.tensors[b.tensors.firstIndex { $0.name == "token_embd.weight" }!] = .init(name: "token_embd.weight", dims: [16, 1], type: 8, bytes: Array(repeating: 0, count: 34))
        }
        let e = try #require(Self.loadError(path))
        #expect(e.problem == "Q8_0 (8) packs 32 values per block but a row has 16", "\(e)")
    }

    @Test(arguments: ["llama.block_count", "llama.embedding_length", "llama.attention.head_count",
                      "llama.attention.layer_norm_rms_epsilon", "llama.context_length", "llama.feed_forward_length",
                      "general.architecture"])
    func missingRequiredKeyIsNamed(_ key: String) throws {
        let e = try #require(Self.loadError(try Self.edited { $0.set(key, nil) }))
        #expect(e.problem == "missing metadata key '\(key)'", "\(e)")
    }

    @Test func keyOfTheWrongType() throws {
        let e = try #require(Self.loadError(try Self.edited { $0.set("llama.block_count", .string("2")) }))
        #expect(e.problem == "metadata key 'llama.block_count' is STRING, expected an integer", "\(e)")
    }

    @Test func unsupportedArchitecture() throws {
        let e = try #require(Self.loadError(try Self.edited { $0.set("general.architecture", .string("gpt2")) }))
        #expect(e.problem == "unsupported GGUF architecture 'gpt2' (only llama, qwen2)", "\(e)")
    }

    @Test func mixtureOfExpertsIsRefused() throws {
        let e = try #require(Self.loadError(try Self.edited { $0.set("llama.expert_count", .uint32(8)) }))
        #expect(e.problem.hasPrefix("mixture-of-experts models"), "\(e)")
    }

    @Test func ropeScalingIsRefusedUnlessLinearOrLlama3() throws {
        let e = try #require(Self.loadError(try Self.edited { $0.set("llama.rope.scaling.type", .string("yarn")) }))
        #expect(e.problem.hasPrefix("unsupported RoPE scaling 'yarn'"), "\(e)")
        // linear needs its factor
        let f = try #require(Self.loadError(try Self.edited { $0.set("llama.rope.scaling.type", .string("linear")) }))
        #expect(f.problem == "missing metadata key 'llama.rope.scaling.factor'", "\(f)")
    }

    @Test func missingTensorIsNamed() throws {
        let e = try #require(Self.loadError(try Self.edited { $0.tensors.removeAll { $0.name == "blk.1.ffn_up.weight" } }))
        #expect(e.tensor == "blk.1.ffn_up.weight" && e.problem == "missing", "\(e)")
    }

    @Test func unexpectedTensorIsNamed() throws {
        let path = try Self.edited { b in
            b.tensors.append(.init(name: "blk.0.attn_q.bias", dims: [32], type: 0, bytes: Array(repeating: 0, count: 128)))
        }
        let e = try #require(Self.loadError(path))
        #expect(e.tensor == "blk.0.attn_q.bias" && e.problem.hasPrefix("unexpected tensor"), "\(e)")
    }

    /// RoPE divisors that no Llama 3 scaling makes (here zero) are refused, as is a wrong shape.
    @Test func foreignRopeFactorsAreRefused() throws {
        let zeros = try Self.edited { b in
            b.tensors.append(.init(name: "rope_freqs.weight", dims: [4], type: 0, bytes: Array(repeating: 0, count: 16)))
        }
        let e = try #require(Self.loadError(zeros))
        #expect(e.tensor == "rope_freqs.weight" && e.problem.contains("no Llama 3 scaling gives"), "\(e)")
        let short = try Self.edited { b in
            b.tensors.append(.init(name: "rope_freqs.weight", dims: [3], type: 0, bytes: Array(repeating: 0, count: 12)))
        }
        let s = try #require(Self.loadError(short))
        #expect(s.tensor == "rope_freqs.weight" && s.problem.contains("expected F32 of shape [4]"), "\(s)")
    }

    @Test func wrongShapeIsNamed() throws {
        let path = try Self.edited { b in
            let i = b.tensors.firstIndex { $0.name == "blk.0.ffn_norm.weight" }!
            b.tensors[i].dims = [16]
            b.tensors[i].bytes = Array(b.tensors[i].bytes.prefix(64))
        }
        let e = try #require(Self.loadError(path))
        #expect(e.tensor == "blk.0.ffn_norm.weight" && e.problem == "shape [16] (ggml ne [16]) but the metadata implies [32]", "\(e)")
    }

    @Test func repeatedKeyAndTensor() throws {
        var builder = try GGUFBuilder(reading: Self.f32)
        builder.metadata.append(("llama.block_count", .uint32(2)))
        #expect(Self.loadError(try builder.write())?.problem == "metadata key 'llama.block_count' appears twice")
        builder = try GGUFBuilder(reading: Self.f32)
        builder.tensors.append(builder.tensors.first { $0.name == "token_embd.weight" }!)
        let e = Self.loadError(try builder.write())
        #expect(e?.tensor == "token_embd.weight" && e?.problem == "appears twice")
    }

    @Test func unsupportedTokenizers() throws {
        var e = Self.loadError(try Self.edited { $0.set("tokenizer.ggml.pre", .string("deepseek-coder")) })
        #expect(e?.problem.hasPrefix("unsupported GGUF pre-tokenizer 'deepseek-coder' (tokenizer.ggml.pre; known: ") == true, "\(String(describing: e))")
        e = Self.loadError(try Self.edited { $0.set("tokenizer.ggml.model", .string("bert")) })
        #expect(e?.problem.hasPrefix("unsupported GGUF tokenizer model 'bert'") == true, "\(String(describing: e))")
        e = Self.loadError(try Self.edited { $0.set("tokenizer.ggml.merges", .array(.string, [.string("Ġt")])) })
        #expect(e?.problem == "tokenizer.ggml.merges[0] \"Ġt\" is not two tokens separated by a space", "\(String(describing: e))")
    }

    @Test func noTokenizerMetadataMeansNoTokenizer() throws {
        let path = try Self.edited { b in b.metadata.removeAll { $0.0.hasPrefix("tokenizer.") && $0.0 != "tokenizer.ggml.tokens" } }
        let checkpoint = try CheckpointIO.load(path)
        #expect(checkpoint.tokenizerJSON == nil && checkpoint.chatTemplate == nil)
        #expect(checkpoint.config.eosTokenIds.isEmpty)
    }

    @Test func ggufIsNeverWritten() throws {
        let checkpoint = try CheckpointIO.load(Self.f32)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("out-\(UUID().uuidString).gguf").path
        let e = checkpointError { try CheckpointIO.save(checkpoint, to: out) }
        #expect(e?.problem.hasPrefix("GGUF files are read but not written") == true)
        #expect(checkpointError { try CheckpointIO.checkCanWrite(out, overwrite: false, inputs: []) } != nil)
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
