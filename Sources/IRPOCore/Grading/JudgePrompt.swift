import Foundation

/// The text a judge model continues to evaluate one completion: a template in which
/// `{question}` is the problem's question and `{completion}` the candidate answer.
public struct JudgePrompt: Sendable, Equatable {
    /// The template text with its placeholders.
    public let text: String

    /// A judge template from its text; it must contain `{question}` and `{completion}`.
    public init(text: String) throws(JudgePromptError) {
        for p in [Self.questionPlaceholder, Self.completionPlaceholder] where !text.contains(p) {
            throw .missingPlaceholder(p)
        }
        self.text = text
    }

    /// The placeholder for the question.
    public static let questionPlaceholder = "{question}"
    /// The placeholder for the candidate answer.
    public static let completionPlaceholder = "{completion}"

    /// The LLM-as-a-Judge prompt of Self-Rewarding Language Models (Yuan et al. 2024, arXiv
    /// 2401.10020, Figure 2), word for word with the figure's line breaks and typographic
    /// quotes; the figure's <INSTRUCTION_HERE> and <RESPONSE_HERE> are the placeholders, and a
    /// line break follows the last sentence so the judge starts its answer on a line of its own.
    public static let selfRewarding = try! JudgePrompt(text: """
        Review the user’s question and the corresponding response using the additive 5-point
        scoring system described below. Points are accumulated based on the satisfaction of each
        criterion:
        - Add 1 point if the response is relevant and provides some information related to
        the user’s inquiry, even if it is incomplete or contains some irrelevant content.
        - Add another point if the response addresses a substantial portion of the user’s question,
        but does not completely resolve the query or provide a direct answer.
        - Award a third point if the response answers the basic elements of the user’s question in a
        useful way, regardless of whether it seems to have been written by an AI Assistant or if it
        has elements typically found in blogs or search results.
        - Grant a fourth point if the response is clearly written from an AI Assistant’s perspective,
        addressing the user’s question directly and comprehensively, and is well-organized and
        helpful, even if there is slight room for improvement in clarity, conciseness or focus.
        - Bestow a fifth point for a response that is impeccably tailored to the user’s question
        by an AI Assistant, without extraneous information, reflecting expert knowledge, and
        demonstrating a high-quality, engaging, and insightful answer.
        User: {question}
        <response>{completion}</response>
        After examining the user’s instruction and the response:
        - Briefly justify your total score, up to 100 words.
        - Conclude with the score using the format: “Score: <total points>”
        Remember to assess from the AI Assistant perspective, utilizing web search knowledge as
        necessary. To evaluate the response in alignment with this additive scoring model, we’ll
        systematically attribute points based on the outlined criteria.

        """)

    /// The template in the file at `path`.
    public static func load(_ path: String) throws(JudgePromptError) -> JudgePrompt {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .unreadable(path)
        }
        do { return try JudgePrompt(text: text) } catch { throw .inFile(path, error) }
    }

    /// The prompt for one completion. Placeholders are filled in one pass, so a question that
    /// itself contains "{completion}" stays as it is.
    public func prompt(question: String, completion: String) -> String {
        var out = ""
        var rest = text[...]
        while true {
            let q = rest.range(of: Self.questionPlaceholder), c = rest.range(of: Self.completionPlaceholder)
            guard let next = [q, c].compactMap({ $0 }).min(by: { $0.lowerBound < $1.lowerBound }) else { break }
            out += rest[..<next.lowerBound]
            out += next == q ? question : completion
            rest = rest[next.upperBound...]
        }
        return out + rest
    }
}

/// A judge template that cannot be used.
public enum JudgePromptError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The template lacks `{question}` or `{completion}`.
    case missingPlaceholder(String)
    /// The file cannot be read as UTF-8 text.
    case unreadable(String)
    /// The file's template is unusable.
    indirect case inFile(String, JudgePromptError)

    /// What is wrong.
    public var description: String {
        switch self {
        case let .missingPlaceholder(p): return "the judge template has no \(p) placeholder"
        case let .unreadable(path): return "\(path): cannot read the judge template"
        case let .inFile(path, error): return "\(path): \(error)"
        }
    }
}
