/// A value a chat template computes with: the Python values Jinja templates see (None, bool,
/// int, float, str, list, dict), plus Jinja's undefined and the objects a template can make.
/// `==` here is structural (1 and 1.0 differ); templates compare with Python's rules.
public enum TemplateValue: Sendable, Equatable {
    /// A name or key that has no value: falsy, prints as nothing, iterates as empty.
    case undefined
    /// Python's None.
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([TemplateValue])
    /// A tuple: the pairs of `dict.items()`, `(a, b)` and `a, b` in the template. It prints and
    /// compares as Python's tuples do, unlike a list.
    case tuple([TemplateValue])
    case dict(TemplateDict)
    /// A namespace or a built-in function: opaque to callers.
    case object(TemplateObject)

    /// The value of a JSON document as Python's json.loads reads it (integers stay integers).
    public init(json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .number(let n): self = n.intValue.map { .int($0) } ?? .double(n.doubleValue)
        case .string(let s): self = .string(s)
        case .array(let items): self = .list(items.map(TemplateValue.init(json:)))
        case .object(let o):
            var d = TemplateDict()
            for m in o.members { d[m.key] = TemplateValue(json: m.value) }
            self = .dict(d)
        }
    }

    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Whether this is undefined.
    public var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }
}

/// A dict with string keys that keeps insertion order, as Python's dicts do (tojson and
/// `items()` show members in that order).
public struct TemplateDict: Sendable, Equatable {
    /// One key and its value.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: TemplateValue
    }

    /// The entries in insertion order.
    public private(set) var entries: [Entry] = []

    /// An empty dict.
    public init() {}

    /// A dict of these pairs in order; a repeated key keeps its first position and last value.
    public init(_ pairs: [(String, TemplateValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    /// The keys in order.
    public var keys: [String] { entries.map(\.key) }

    /// The number of entries.
    public var count: Int { entries.count }

    /// The value of a key; setting nil removes it, setting a new key appends it.
    public subscript(key: String) -> TemplateValue? {
        get { entries.first(where: { $0.key == key })?.value }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let v = newValue { entries[i].value = v } else { entries.remove(at: i) }
            } else if let v = newValue {
                entries.append(Entry(key: key, value: v))
            }
        }
    }
}

/// Something a template made or calls that is not plain data: a `namespace()` or a global
/// function such as `raise_exception`.
public struct TemplateObject: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// A namespace, by its index in the render's namespace table (they are mutable and shared).
        case namespace(Int)
        case function(TemplateFunction)
    }

    let kind: Kind
}

/// The global functions transformers gives chat templates.
enum TemplateFunction: String, Sendable, CaseIterable {
    case raiseException = "raise_exception"
    case strftimeNow = "strftime_now"
    case namespace
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    /// A string value.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An int value.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// A float value.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A bool value.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A list value.
    public init(arrayLiteral elements: TemplateValue...) { self = .list(elements) }
    /// A dict value, keys in the order written.
    public init(dictionaryLiteral elements: (String, TemplateValue)...) { self = .dict(TemplateDict(elements)) }
}
