import Foundation
import Testing
@testable import IRPOCore

/// `--dtype auto` on a GGUF file of Q4_0, Q4_1 or Q8_0 matrices decodes from the file's blocks:
/// fewer bytes, the same logits bit for bit, and f32 again for a matrix that no longer matches
/// its blocks.
@Suite struct GGUFBlockDecodeTests {
    static let panelTypes: [String: WeightType] = ["Q4_0": .q4, "Q4_1": .q4, "Q8_0": .q8]

    @Test(arguments: ["Q4_0", "Q4_1", "Q8_0"])
    func autoKeepsTheBlocksAndTheBits(_ type: String) throws {
        let weights = try CheckpointIO.load(GGUFFixtures.path(type)).weights
        let count = DecodeWeights.matrices(weights.layout).count
        // every matrix, q and k included (their rows permuted in the file), reads back as loaded
        #expect(DecodeWeights.types(.auto, for: weights) == Array(repeating: Self.panelTypes[type]!, count: count))
        let blocks = DecodeWeights(weights, .auto), f32 = DecodeWeights(weights, .f32)
        #expect(blocks.typeName == Self.panelTypes[type]!.rawValue)
        // the matrices shrink (to 24 or 40 bytes a 32 weights from 128); norms and the untied embedding stay f32
        let saved = DecodeWeights.matrices(weights.layout).reduce(0) {
            $0 + 4 * (PackedMatrix.floats(n: $1.n, k: $1.k) - PackedMatrix.floats(n: $1.n, k: $1.k, type: Self.panelTypes[type]!))
        }
        #expect(f32.bytes - blocks.bytes == saved && saved > f32.bytes / 2, "\(blocks.bytes) against \(f32.bytes)")
        expectDecodesWithTheF32Bits(blocks, f32, type)
    }

    /// Loaded only for decoding, the block matrices are never dequantised (their floats stay
    /// untouched zero pages) and decode from the blocks, or are dequantised when packed as f32 or
    /// bf16, with the bits of the ordinary load in every type.
    @Test(arguments: ["Q4_0", "Q4_1", "Q8_0"])
    func aDecodingLoadNeverDequantisesTheBlocks(_ type: String) throws {
        let eager = try CheckpointIO.load(GGUFFixtures.path(type)).weights
        let prompt: [Int32] = [1, 87, 85, 268, 201, 57, 74, 286, 223, 282]
        for choice in WeightTypeChoice.allCases {
            let lazy = try CheckpointIO.load(GGUFFixtures.path(type), forDecoding: true).weights
            #expect(lazy.matricesReleased)
            let q = lazy.layout.layers[1].qkv, count = DecodeWeights.matrices(lazy.layout)[4]
            #expect(UnsafeBufferPointer(start: lazy.data + q, count: count.n * count.k).allSatisfy { $0 == 0 })
            #expect(lazy.tensor(named: "model.norm.weight")!.elementsEqual(eager.tensor(named: "model.norm.weight")!))
            let a = InferenceSession(model: DecodeWeights(lazy, choice, releasingSource: true), slots: 1, capacity: 16)
            let b = InferenceSession(model: DecodeWeights(eager, choice), slots: 1, capacity: 16)
            #expect(a.step([(slot: 0, tokens: prompt)]).map(\.bitPattern) == b.step([(slot: 0, tokens: prompt)]).map(\.bitPattern),
                    "\(type) \(choice)")
            #expect(a.step([(slot: 0, tokens: [5])]).map(\.bitPattern) == b.step([(slot: 0, tokens: [5])]).map(\.bitPattern))
        }
        // a file without blocks loads as it always did
        #expect(!(try CheckpointIO.load(GGUFFixtures.path("F32"), forDecoding: true).weights.matricesReleased))
    }

    @Test func aChangedMatrixIsKeptInF32AndTheFileLetGo() throws {
        let weights = try CheckpointIO.load(GGUFFixtures.path("Q4_1")).weights
        // as a training step would: the first layer's q projection moves
        weights.data[weights.layout.layers[0].qkv + 5] += 0.25
        let types = DecodeWeights.types(.auto, for: weights)
        #expect(types[0] == .f32 && types.dropFirst().allSatisfy { $0 == .q4 }, "\(types)")
        #expect(DecodeWeights(weights, .auto).typeName == "f32 and q4")
        #expect(weights.blockRows != nil)
        _ = DecodeWeights(weights, .auto, releasingSource: true)
        #expect(weights.blockRows == nil && weights.matricesReleased)
        // weights that never came from blocks: what they were before
        let copy = try CheckpointIO.load(GGUFFixtures.path("F32")).weights
        #expect(DecodeWeights.types(.auto, for: copy).allSatisfy { $0 == .f32 })
    }
}
