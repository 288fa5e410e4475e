import Foundation

/// Turns a problem record into the text the model continues: `{question}` is the record's
/// question (`question`, else `problem`) and `{choices}` its lettered options (ai2_arc's
/// `choices` = {text, label}), one "(A) text" per line.
public struct PromptTemplate: Sendable, Equatable {
    /// The template text with its placeholders.
    public let text: String

    /// A template from its text; it must contain `{question}`.
    public init(text: String) throws(PromptTemplateError) {
        guard text.contains("{question}") else { throw .noQuestionPlaceholder }
        self.text = text
    }

    /// The paper's zero-shot GSM8K prompt (Appendix B.1).
    public static let gsm8k = try! PromptTemplate(text: """
        Your task is to answer the question below. Give step by step reasoning before you answer, \
        and when you're ready to answer, please use the format "Final answer: ..."
        Question: {question}
        Solution:

        """)

    /// The paper's ARC prompt: the question, then its options as (A), (B), ...
    public static let arc = try! PromptTemplate(text: """
        Your task is to answer the question below. Give step by step reasoning before you answer, \
        and when you're ready to answer, please use the format "Final answer: (insert letter here)"
        Question: {question}
        {choices}
        Solution:

        """)

    /// A bare question and answer.
    public static let plain = try! PromptTemplate(text: "Question: {question}\nAnswer:\n")

    /// The built-in templates by name.
    public static let builtIn: [(name: String, template: PromptTemplate)] = [("gsm8k", gsm8k), ("arc", arc), ("plain", plain)]

    /// A built-in template by name, else nil.
    public static func named(_ name: String) -> PromptTemplate? {
        builtIn.first { $0.name == name }?.template
    }

    /// The built-in template `name`, else the template in the file at that path.
    public static func resolve(_ name: String) throws -> PromptTemplate {
        if let builtIn = named(name) { return builtIn }
        guard let text = try? String(contentsOfFile: name, encoding: .utf8) else {
            throw PromptTemplateError.unusable(name: name, why: "not gsm8k, arc or plain, and not a readable file")
        }
        do { return try PromptTemplate(text: text) } catch { throw PromptTemplateError.unusable(name: name, why: "\(error)") }
    }

    /// Whether the template shows the record's options.
    public var usesChoices: Bool { text.contains("{choices}") }

    /// The prompt for a record: its own `prompt` field when present, else the filled template.
    public func prompt(for record: JSONRecord) throws(RecordFieldError) -> String {
        if let p = try record.prompt() { return p }
        guard let question = try record.question() else {
            throw RecordFieldError(field: "question", reason: "missing field \"question\" (or \"prompt\")")
        }
        var out = text.replacingOccurrences(of: "{question}", with: question)
        if usesChoices {
            out = out.replacingOccurrences(of: "{choices}", with: try Self.choiceLines(record))
        }
        return out
    }

    /// "(A) text" lines from ai2_arc's `choices`; labels 1–5 are shown as A–E, as `grade` reads them.
    static func choiceLines(_ record: JSONRecord) throws(RecordFieldError) -> String {
        guard let choices = record["choices"] else {
            throw RecordFieldError(field: "choices", reason: "missing field \"choices\"")
        }
        guard let object = choices.objectValue, let texts = object["text"]?.arrayValue,
              let labels = object["label"]?.arrayValue, texts.count == labels.count, !texts.isEmpty else {
            throw RecordFieldError(field: "choices", reason: "\"choices\" must be an object with \"text\" and \"label\" arrays of one length")
        }
        var lines: [String] = []
        for (t, l) in zip(texts, labels) {
            guard let text = t.stringValue, var label = l.stringValue ?? l.doubleValue.map({ String(Int($0)) }) else {
                throw RecordFieldError(field: "choices", reason: "\"choices\" holds a text or label that is not a string")
            }
            if let n = Int(label), (1...5).contains(n) { label = String(UnicodeScalar(UInt8(64 + n))) }
            lines.append("(\(label)) \(text)")
        }
        return lines.joined(separator: "\n")
    }
}

/// A template that cannot be used.
public enum PromptTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    case noQuestionPlaceholder
    /// A named template that is neither built in nor a readable file, or whose file is unusable.
    case unusable(name: String, why: String)

    /// What is wrong.
    public var description: String {
        switch self {
        case .noQuestionPlaceholder: return "the template has no {question} placeholder"
        case let .unusable(name, why): return "\(name): \(why)"
        }
    }
}
