/// A JSON value whose objects keep their members in input order.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// An integer value.
    public init(_ value: Int) { self = .number(JSONNumber(value)) }

    /// A floating-point value; NaN and infinities have no JSON spelling and become null.
    public init(_ value: Double) {
        self = value.isFinite ? .number(JSONNumber(value)) : .null
    }

    /// A string value.
    public init(_ value: String) { self = .string(value) }

    /// A string value, or null when there is none.
    public init(_ value: String?) { self = value.map { .string($0) } ?? .null }

    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The boolean, when this is one.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The number as a Double, when this is a number.
    public var doubleValue: Double? {
        if case .number(let n) = self { return n.doubleValue }
        return nil
    }

    /// The number as an Int, when this is a number without fraction or exponent that fits.
    public var intValue: Int? {
        if case .number(let n) = self { return n.intValue }
        return nil
    }

    /// The object, when this is one.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// Whether this is null.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The JSON type's name, for error messages ("a string", "an object", ...).
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A JSON number kept as its text, so numbers passed through are written back exactly as read.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number's JSON text, e.g. `18`, `-0.5`, `1e-05`.
    public let text: String

    /// An integer, written without fraction or exponent.
    public init(_ value: Int) { text = String(value) }

    /// A finite Double, written in the shortest text that reads back to the same value.
    public init(_ value: Double) {
        precondition(value.isFinite, "JSON has no spelling for \(value)")
        // Swift's description is the shortest round-trip form and is valid JSON for finite values.
        text = value.description
    }

    /// A number from JSON text; nil unless the text follows JSON's number grammar.
    public init?(text: String) {
        var utf8 = Array(text.utf8)
        let ok = utf8.withUnsafeMutableBufferPointer { buf -> Bool in
            var scanner = JSONScanner(UnsafeBufferPointer(buf))
            guard (try? scanner.scanNumber()) != nil else { return false }
            return scanner.index == buf.count
        }
        guard ok else { return nil }
        self.text = text
    }

    init(uncheckedText: String) { text = uncheckedText }

    /// The value as a Double (large integers round to the nearest Double).
    public var doubleValue: Double { Double(text) ?? .nan }

    /// The value as an Int when the text is a plain integer that fits.
    public var intValue: Int? { Int(text) }

    /// The JSON text.
    public var description: String { text }
}

/// A JSON object: members in insertion order, keys unique.
public struct JSONObject: Sendable, Equatable {
    /// One key and its value.
    public struct Member: Sendable, Equatable {
        /// The member's key.
        public var key: String
        /// The member's value.
        public var value: JSONValue
    }

    /// The members in order.
    public private(set) var members: [Member] = []

    /// An empty object.
    public init() {}

    /// An object with these members in this order; a repeated key keeps its first position and last value.
    public init(_ pairs: KeyValuePairs<String, JSONValue>) {
        for (k, v) in pairs { self[k] = v }
    }

    /// The keys in order.
    public var keys: [String] { members.map(\.key) }

    /// The number of members.
    public var count: Int { members.count }

    /// The value for a key; setting nil removes the member, setting a new key appends it.
    public subscript(key: String) -> JSONValue? {
        get { members.first(where: { $0.key == key })?.value }
        set {
            if let i = members.firstIndex(where: { $0.key == key }) {
                if let v = newValue { members[i].value = v } else { members.remove(at: i) }
            } else if let v = newValue {
                members.append(Member(key: key, value: v))
            }
        }
    }

    mutating func appendUnchecked(key: String, value: JSONValue) {
        members.append(Member(key: key, value: value))
    }
}
