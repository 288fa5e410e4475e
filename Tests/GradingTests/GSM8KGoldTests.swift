import Foundation
import Testing
import IRPOCore

/// Every GSM8K gold solution, used as the completion, grades as correct against itself.
@Suite struct GSM8KGoldTests {
    static let dataDir = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data/gsm8k")

    @Test func allGoldSolutionsGradeCorrect() throws {
        let grader = try Grader(task: .gsm8k)
        var total = 0
        var failures: [String] = []
        for name in ["train.jsonl", "test.jsonl"] {
            let text = try String(contentsOf: Self.dataDir.appendingPathComponent(name), encoding: .utf8)
            for (i, line) in text.split(separator: "\n").enumerated() {
                let record = try JSONRecord(parsing: String(line))
                let answer = try #require(try record.answer())
                let g = try grader.grade(completion: answer, gold: answer)
                // The canonical answer is the text after "####" without thousands commas.
                let expected = answer.components(separatedBy: "#### ").last!.replacingOccurrences(of: ",", with: "")
                if !g.correct || g.pred != expected { failures.append("\(name):\(i + 1): \(g)") }
                total += 1
            }
        }
        #expect(total == 8792)
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }
}
