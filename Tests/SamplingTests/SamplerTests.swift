import Foundation
import IRPOCore
import Testing

@Suite struct SamplerTests {
    let logits: [Float] = [0.5, 2.0, -1.0, 1.5, 2.0, 0.0]

    func draw(_ p: SamplingParameters, seed: UInt64, count: Int) -> [Int32] {
        var s = Sampler(parameters: p, rng: SplitMix64(seed: seed))
        return logits.withUnsafeBufferPointer { l in (0..<count).map { _ in s.next(l) } }
    }

    @Test func greedyTakesTheFirstMaximum() {
        #expect(draw(.init(temperature: 0), seed: 1, count: 3) == [1, 1, 1])
        #expect(draw(.init(temperature: 0.7, topK: 1), seed: 1, count: 3) == [1, 1, 1])
    }

    @Test func sameSeedSameDraws() {
        let p = SamplingParameters(temperature: 0.8, topK: 4, topP: 0.9)
        #expect(draw(p, seed: 3, count: 50) == draw(p, seed: 3, count: 50))
        #expect(draw(p, seed: 3, count: 50) != draw(p, seed: 4, count: 50))
    }

    @Test func frequenciesFollowTheSoftmax() {
        let n = 40_000
        let draws = draw(.init(temperature: 1), seed: 9, count: n)
        let z = logits.map { Foundation.exp(Double($0)) }, total = z.reduce(0, +)
        for v in 0..<logits.count {
            let seen = Double(draws.filter { $0 == v }.count) / Double(n)
            #expect(abs(seen - z[v] / total) < 0.01, "token \(v): \(seen) vs \(z[v] / total)")
        }
    }

    @Test func topKAndTopPKeepOnlyTheHead() {
        // top-k 2: ids 1 and 4 (equal logits, lower id first).
        #expect(Set(draw(.init(temperature: 1, topK: 2), seed: 5, count: 500)) == [1, 4])
        // p(1) = p(4) ≈ 0.31, p(3) ≈ 0.19: top-p 0.7 keeps 1, 4 and 3.
        #expect(Set(draw(.init(temperature: 1, topP: 0.7), seed: 5, count: 2000)) == [1, 3, 4])
        #expect(Set(draw(.init(temperature: 1, topP: 0.01), seed: 5, count: 100)) == [1])
    }

    @Test func logSumExpMatchesTheDefinition() {
        let direct = Foundation.log(logits.map { Foundation.exp(Double($0)) }.reduce(0, +))
        let lse = logits.withUnsafeBufferPointer { logSumExp($0) }
        #expect(abs(Double(lse) - direct) < 1e-5)
    }
}

@Suite struct TemplateAndShardTests {
    @Test func gsm8kPromptIsThePapers() throws {
        let r = try JSONRecord(parsing: "{\"question\":\"What is 2+3?\",\"answer\":\"#### 5\"}")
        #expect(try PromptTemplate.gsm8k.prompt(for: r) == """
            Your task is to answer the question below. Give step by step reasoning before you answer, and when you're \
            ready to answer, please use the format "Final answer: ..."\nQuestion: What is 2+3?\nSolution:\n
            """)
        #expect(try PromptTemplate.plain.prompt(for: r) == "Question: What is 2+3?\nAnswer:\n")
    }

    @Test func arcShowsLetteredOptions() throws {
        let r = try JSONRecord(parsing: #"{"question":"Which?","choices":{"text":["red","blue","green"],"label":["1","2","3"]}}"#)
        let p = try PromptTemplate.arc.prompt(for: r)
        #expect(p.hasSuffix("Question: Which?\n(A) red\n(B) blue\n(C) green\nSolution:\n"))
        #expect(p.contains("\"Final answer: (insert letter here)\""))
        let bad = try JSONRecord(parsing: #"{"question":"Which?"}"#)
        #expect(throws: RecordFieldError.self) { try PromptTemplate.arc.prompt(for: bad) }
    }

    @Test func ownPromptWinsAndQuestionIsRequired() throws {
        let r = try JSONRecord(parsing: #"{"question":"q","prompt":"P:"}"#)
        #expect(try PromptTemplate.gsm8k.prompt(for: r) == "P:")
        let m = try JSONRecord(parsing: #"{"problem":"x"}"#)
        #expect(try PromptTemplate(text: "<{question}>").prompt(for: m) == "<x>")
        #expect(throws: RecordFieldError.self) { try PromptTemplate.plain.prompt(for: JSONRecord(parsing: #"{"id":1}"#)) }
        #expect(throws: PromptTemplateError.self) { try PromptTemplate(text: "no placeholder") }
    }

    @Test func shards() {
        #expect(Shard(text: "1/3") == Shard(index: 1, count: 3))
        for bad in ["3/3", "-1/2", "1", "a/b", "0/0"] { #expect(Shard(text: bad) == nil) }
        #expect((0..<10).filter(Shard(index: 1, count: 3).contains) == [1, 4, 7])
        #expect(Shard(index: 1, count: 3).share(of: 10) == 3)
        #expect(Shard(index: 0, count: 3).share(of: 10) == 4)
    }

    @Test func progressLineShowsRateAndTimeLeft() {
        #expect(progressLine(problemsDone: 10, totalProblems: 40, tokens: 5000, seconds: 10) == "10/40 problems, 500 tok/s, 0:30 left")
        #expect(progressLine(problemsDone: 1, totalProblems: nil, tokens: 0, seconds: 0) == "1 problems, 0 tok/s")
    }
}
