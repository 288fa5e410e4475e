import Foundation
import IRPOCore
import Testing

@Suite struct GenerationConfigTests {
    @Test func llama31Style() throws {
        let json = """
            {"bos_token_id": 128000, "do_sample": true, "eos_token_id": [128001, 128008, 128009],
             "temperature": 0.6, "top_p": 0.9, "transformers_version": "4.42.3"}
            """
        let g = try GenerationConfig(json: Data(json.utf8), display: "generation_config.json")
        #expect(g == GenerationConfig(eosTokenIds: [128001, 128008, 128009], temperature: 0.6, topP: 0.9, doSample: true))
    }

    @Test func oneEosIdAndTopK() throws {
        let json = #"{"eos_token_id": 2, "top_k": 20, "repetition_penalty": 1.05, "temperature": 1, "do_sample": false}"#
        let g = try GenerationConfig(json: Data(json.utf8), display: "generation_config.json")
        #expect(g == GenerationConfig(eosTokenIds: [2], temperature: 1, topK: 20, doSample: false))
    }

    @Test func absentAndNullKeysStayNil() throws {
        let g = try GenerationConfig(json: Data(#"{"eos_token_id": null, "_from_model_config": true}"#.utf8), display: "g")
        #expect(g == GenerationConfig())
    }

    @Test func wrongTypesNameTheKey() {
        for (json, problem) in [
            (#"{"eos_token_id": "2"}"#, #""eos_token_id" must be an integer or a list of integers, not a string"#),
            (#"{"eos_token_id": [1, 2.5]}"#, #""eos_token_id" must be an integer or a list of integers, not 2.5"#),
            (#"{"temperature": "hot"}"#, #""temperature" must be a number of 0 or more, not a string"#),
            (#"{"temperature": -1}"#, #""temperature" must be a number of 0 or more, not -1"#),
            (#"{"top_p": 1.5}"#, #""top_p" must be a number in (0, 1], not 1.5"#),
            (#"{"top_k": 0.5}"#, #""top_k" must be an integer of 0 or more, not 0.5"#),
            (#"{"do_sample": 1}"#, #""do_sample" must be true or false, not 1"#),
            ("[1]", "not a JSON object"),
        ] {
            #expect(throws: CheckpointError(file: "m/generation_config.json", problem)) {
                try GenerationConfig(json: Data(json.utf8), display: "m/generation_config.json")
            }
        }
        #expect(throws: CheckpointError.self) { try GenerationConfig(json: Data("{".utf8), display: "g") }
    }

    @Test func fromModelFiles() throws {
        #expect(try GenerationConfig(files: [:], display: "m") == nil)
        let files = ["generation_config.json": Data(#"{"top_p": 0.95}"#.utf8)]
        #expect(try GenerationConfig(files: files, display: "m") == GenerationConfig(topP: 0.95))
    }
}
