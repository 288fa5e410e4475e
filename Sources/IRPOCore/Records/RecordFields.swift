/// A record field that is missing or of the wrong type, with a reason fit for `file:line: reason`.
public struct RecordFieldError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field's name.
    public let field: String
    /// What is wrong, e.g. `missing field "completion"`.
    public let reason: String

    /// An error about a field.
    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    /// The field is absent.
    public static func missing(_ field: String) -> RecordFieldError {
        RecordFieldError(field: field, reason: "missing field \"\(field)\"")
    }

    /// The field holds another type than expected.
    public static func wrongType(_ field: String, expected: String, found: JSONValue) -> RecordFieldError {
        RecordFieldError(field: field, reason: "field \"\(field)\" must be \(expected), found \(found.kindName)")
    }

    /// The reason.
    public var description: String { reason }
}

/// Typed access to the fields the irpo record formats name (see DESIGN.md, "Records").
///
/// The optional forms return nil for a missing field or null and throw for a wrong type; the
/// `require` forms also throw for missing or null, so a command reports one clear reason per line.
extension JSONRecord {
    /// A field through `value`, nil when missing or null; a value it rejects is not `expected`.
    private func field<T>(_ key: String, expected: String, _ value: (JSONValue) -> T?) throws(RecordFieldError) -> T? {
        guard let v = self[key], !v.isNull else { return nil }
        guard let t = value(v) else { throw .wrongType(key, expected: expected, found: v) }
        return t
    }

    /// A string field, nil when missing or null.
    public func string(_ key: String) throws(RecordFieldError) -> String? {
        try field(key, expected: "a string") { $0.stringValue }
    }

    /// A string field that must be there.
    public func requireString(_ key: String) throws(RecordFieldError) -> String {
        guard let s = try string(key) else { throw .missing(key) }
        return s
    }

    /// A boolean field, nil when missing or null.
    public func bool(_ key: String) throws(RecordFieldError) -> Bool? {
        try field(key, expected: "true or false") { $0.boolValue }
    }

    /// A number field, nil when missing or null.
    public func number(_ key: String) throws(RecordFieldError) -> Double? {
        try field(key, expected: "a number") { $0.doubleValue }
    }

    /// An integer field, nil when missing or null; a fraction or an out-of-range value is an error.
    public func int(_ key: String) throws(RecordFieldError) -> Int? {
        switch self[key] {
        case nil, .null?: return nil
        case .number(let n)?:
            if let i = n.intValue { return i }
            throw RecordFieldError(field: key, reason: "field \"\(key)\" must be an integer, found \(n.text)")
        case let v?: throw .wrongType(key, expected: "an integer", found: v)
        }
    }

    /// A field that holds text: a string, or a number taken as its JSON text (gold answers are
    /// sometimes stored as numbers); nil when missing or null.
    public func text(_ key: String) throws(RecordFieldError) -> String? {
        try field(key, expected: "a string or a number") { v in
            if case .number(let n) = v { return n.text }
            return v.stringValue
        }
    }

    // MARK: the fields of the record formats

    /// The problem's `id` as stored, nil when missing or null; an id must be a string or a
    /// number, since an object or array id would group and seed samples by its spelling.
    public var id: JSONValue? {
        get throws(RecordFieldError) {
            switch self["id"] {
            case nil, .null?: return nil
            case let v? where v.stringValue != nil || v.doubleValue != nil: return v
            case let v?: throw .wrongType("id", expected: "a string or a number", found: v)
            }
        }
    }

    /// The `id` in canonical JSON text (`"q7"` with quotes, `7` without), so that string and
    /// number ids never collide and equal ids compare equal however they were escaped.
    public var idKey: String? {
        get throws(RecordFieldError) { try id.map(JSONSerializer.string) }
    }

    /// The question: `question`, else `problem` (MATH's name for it).
    public func question() throws(RecordFieldError) -> String? {
        if let q = try string("question") { return q }
        return try string("problem")
    }

    /// The prompt given to the model (`prompt`).
    public func prompt() throws(RecordFieldError) -> String? { try string("prompt") }

    /// A conversation (`key`, by default `messages`): a list of {"role", "content"} objects with
    /// string values, as chat datasets and TRL write them; nil when missing or null.
    public func messages(_ key: String = "messages") throws(RecordFieldError) -> [ChatMessage]? {
        guard let value = self[key], !value.isNull else { return nil }
        let expected = "a list of {\"role\", \"content\"} objects with string values"
        guard let items = value.arrayValue, !items.isEmpty else {
            throw RecordFieldError(field: key, reason: "\"\(key)\" must be \(expected)")
        }
        var out: [ChatMessage] = []
        for (i, item) in items.enumerated() {
            guard let message = ChatMessage(item) else {
                throw RecordFieldError(field: key, reason: "\"\(key)\"[\(i)] must be an object with string \"role\" and \"content\"")
            }
            out.append(message)
        }
        return out
    }

    /// The gold solution or answer (`answer`), as text.
    public func answer() throws(RecordFieldError) -> String? { try text("answer") }

    /// The model's completion (`completion`).
    public func completion() throws(RecordFieldError) -> String? { try string("completion") }

    /// Whether `grade` judged the completion correct (`correct`).
    public func correct() throws(RecordFieldError) -> Bool? { try bool("correct") }

    /// The extracted prediction (`pred`), nil when missing or null.
    public func pred() throws(RecordFieldError) -> String? { try text("pred") }

    /// Why generation stopped (`finish`: "stop" or "length").
    public func finish() throws(RecordFieldError) -> String? { try string("finish") }

    /// The number of completion tokens (`tokens`).
    public func tokens() throws(RecordFieldError) -> Int? { try int("tokens") }
}

extension ChatMessage {
    /// A {"role", "content"} object with string values, else nil.
    public init?(_ value: JSONValue) {
        guard let role = value.objectValue?["role"]?.stringValue, let content = value.objectValue?["content"]?.stringValue else {
            return nil
        }
        self.init(role: role, content: content)
    }
}
