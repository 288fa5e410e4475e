import Foundation
import Testing
import IRPOCore

/// config.json parsing: HF key names, defaults, and refusals that name the key.
@Suite struct ConfigTests {
    @Test func decodesHFKeysAndDefaults() throws {
        let json = """
        {"model_type":"llama","vocab_size":512,"hidden_size":256,"intermediate_size":768,
         "num_hidden_layers":4,"num_attention_heads":4,"rms_norm_eps":1e-5,"eos_token_id":[2,3],
         "torch_dtype":"bfloat16","rope_scaling":null}
        """
        let c = try JSONDecoder().decode(LlamaConfig.self, from: Data(json.utf8))
        #expect(c.numKeyValueHeads == 4)
        #expect(c.headDim == 64)
        #expect(c.ropeTheta == 10000)
        #expect(c.eosTokenIds == [2, 3])
        #expect(c.tieWordEmbeddings == false)
    }

    @Test func readsRopeParametersOfTransformers5() throws {
        let json = """
        {"model_type":"llama","vocab_size":8,"hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,
         "num_attention_heads":2,"num_key_value_heads":1,"rope_parameters":{"rope_theta":500000.0,"rope_type":"default"},
         "dtype":"float32","tie_word_embeddings":true}
        """
        let c = try JSONDecoder().decode(LlamaConfig.self, from: Data(json.utf8))
        #expect(c.ropeTheta == 500000)
        #expect(c.numKeyValueHeads == 1)
        #expect(c.tieWordEmbeddings)
    }

    @Test func roundTripsThroughJSON() throws {
        let c = try LlamaConfig(vocabSize: 300, hiddenSize: 48, intermediateSize: 96, numHiddenLayers: 2,
                                numAttentionHeads: 6, numKeyValueHeads: 2, ropeTheta: 500000,
                                tieWordEmbeddings: true, bosTokenId: 1, eosTokenIds: [2])
        let back = try JSONDecoder().decode(LlamaConfig.self, from: try JSONEncoder().encode(c))
        #expect(back == c)
    }

    @Test(arguments: [
        (#""model_type":"gpt2""#, "model_type"),
        (#""num_key_value_heads":3"#, "num_key_value_heads"),
        (#""rope_scaling":{"rope_type":"llama3","factor":8.0}"#, "rope_scaling"),
        (#""attention_bias":true"#, "attention_bias"),
        (#""hidden_act":"gelu""#, "hidden_act"),
        (#""torch_dtype":"int8""#, "dtype"),
    ])
    func rejectsWhatWeCannotRunNamingTheKey(extra: String, key: String) throws {
        let json = """
        {"vocab_size":8,"hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":4,\(extra)}
        """
        do {
            _ = try JSONDecoder().decode(LlamaConfig.self, from: Data(json.utf8))
            Issue.record("accepted \(extra)")
        } catch let error as ConfigError {
            #expect(error.description.contains(key))
        }
    }

    @Test func layoutFusesQKVAndGateUp() throws {
        let c = try LlamaConfig(vocabSize: 10, hiddenSize: 8, intermediateSize: 12, numHiddenLayers: 2,
                                numAttentionHeads: 4, numKeyValueHeads: 2)
        let layout = ParameterLayout(config: c)
        let l = layout.layers[1]
        #expect(l.k == l.q + c.queryWidth * 8)
        #expect(l.v == l.k + c.keyValueWidth * 8)
        #expect(l.up == l.gate + 12 * 8)
        // embed + 2 layers (norms, q, k, v, o, gate, up, down) + final norm + untied head
        let perLayer = 8 + 8 * 8 + 4 * 8 + 4 * 8 + 8 * 8 + 8 + 3 * 12 * 8
        #expect(layout.count == 10 * 8 + 2 * perLayer + 8 + 10 * 8)
        #expect(layout.slot(named: "lm_head.weight") != nil)
    }
}
