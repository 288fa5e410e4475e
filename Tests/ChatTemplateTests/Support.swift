import Foundation
import IRPOCore
import Testing

/// The fixtures made by Fixtures/chat/make_fixtures.py with transformers' own renderer.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/chat")

    /// The time strftime_now read when the fixtures were rendered (2025-03-09 14:05:00), in UTC
    /// here so that the tests do not depend on the machine's zone.
    static let now: Date = {
        var c = DateComponents()
        (c.year, c.month, c.day, c.hour, c.minute, c.second) = (2025, 3, 9, 14, 5, 0)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        return calendar.date(from: c)!
    }()
    static let utc = TimeZone(identifier: "UTC")!

    static func json(_ name: String) -> JSONObject {
        let data = try! Data(contentsOf: directory.appendingPathComponent(name))
        return try! JSONParser.parse([UInt8](data)).objectValue!
    }

    static func templateText(_ name: String) -> String {
        try! String(contentsOf: directory.appendingPathComponent("templates/\(name).jinja"), encoding: .utf8)
    }

    /// What transformers did with one input: the text, raise_exception's message, or another error.
    enum Outcome: Sendable {
        case text(String)
        case raised(String)
        case error(String)

        init(_ o: JSONObject) {
            if let s = o["expected"]?.stringValue { self = .text(s) } else if let s = o["raised"]?.stringValue {
                self = .raised(s)
            } else {
                self = .error(o["error"]!.stringValue!)
            }
        }
    }

    /// One conversation rendered with one model's template.
    struct Render: Sendable, CustomTestStringConvertible {
        var template: String
        var caseName: String
        /// The messages, when they are plain role and content; nil when some carry tool calls.
        var messages: [ChatMessage]?
        /// The messages as the template sees them, whatever fields they have.
        var messageValues: TemplateValue
        var addGenerationPrompt: Bool
        var bosToken: String
        var eosToken: String
        var extra: [String: TemplateValue]
        var outcome: Outcome

        var testDescription: String { "\(template) \(caseName) add_generation_prompt=\(addGenerationPrompt)" }
    }

    static let renders: [Render] = json("renders.json")["renders"]!.arrayValue!.map { entry in
        let o = entry.objectValue!
        var variables = o["variables"]!.objectValue!
        let messageObjects = variables["messages"]!.arrayValue!.map { $0.objectValue! }
        let plain = messageObjects.allSatisfy { $0.keys == ["role", "content"] }
        let messages = plain ? messageObjects.map { ChatMessage(role: $0["role"]!.stringValue!, content: $0["content"]!.stringValue!) } : nil
        let agp = variables["add_generation_prompt"]!.boolValue!
        let bos = variables["bos_token"]!.stringValue!, eos = variables["eos_token"]!.stringValue!
        for key in ["messages", "add_generation_prompt", "bos_token", "eos_token"] { variables[key] = nil }
        var extra: [String: TemplateValue] = [:]
        for m in variables.members { extra[m.key] = TemplateValue(json: m.value) }
        return Render(template: o["template"]!.stringValue!, caseName: o["case"]!.stringValue!, messages: messages,
                      messageValues: TemplateValue(json: o["variables"]!.objectValue!["messages"]!), addGenerationPrompt: agp, bosToken: bos, eosToken: eos, extra: extra, outcome: Outcome(o))
    }

    /// A small template rendered with its variables.
    struct Snippet: Sendable, CustomTestStringConvertible {
        var name: String
        var template: String
        var variables: [String: TemplateValue]
        var outcome: Outcome

        var testDescription: String { name }
    }

    static let snippets: [Snippet] = json("snippets.json")["snippets"]!.arrayValue!.map { entry in
        let o = entry.objectValue!
        var variables: [String: TemplateValue] = [:]
        for m in o["variables"]!.objectValue!.members { variables[m.key] = TemplateValue(json: m.value) }
        return Snippet(name: o["name"]!.stringValue!, template: o["template"]!.stringValue!, variables: variables, outcome: Outcome(o))
    }
}

/// Shows two renders' first difference, since templates differ by one space or newline.
func firstDifference(_ a: String, _ b: String) -> String {
    let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
    var i = 0
    while i < min(x.count, y.count) && x[i] == y[i] { i += 1 }
    func around(_ s: [Unicode.Scalar]) -> String {
        let lo = max(0, i - 30), hi = min(s.count, i + 30)
        var v = String.UnicodeScalarView()
        v.append(contentsOf: s[lo..<hi])
        return String(reflecting: String(v))
    }
    return "first difference at code point \(i): got \(around(x)) expected \(around(y))"
}
