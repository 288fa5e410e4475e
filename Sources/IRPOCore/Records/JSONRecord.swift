/// One JSONL record: a top-level object whose fields stay as their original bytes until read or
/// replaced, so fields a command does not know are written back byte for byte.
///
/// Parsing validates the whole line (syntax, UTF-8, depth, duplicate keys) but builds values only
/// for the fields asked for, so a filter pays only for the fields it reads.
public struct JSONRecord: Sendable {
    enum Storage: Sendable {
        /// Key and value as byte ranges in `source`; the key's decoded form is kept for lookup.
        case raw(keyBytes: Range<Int>, valueBytes: Range<Int>)
        case value(JSONValue)
    }

    struct Field: Sendable {
        var key: String
        var storage: Storage
    }

    let source: [UInt8]
    var fields: [Field]

    /// An empty record.
    public init() {
        source = []
        fields = []
    }

    /// A record holding this object's members.
    public init(_ object: JSONObject) {
        source = []
        fields = object.members.map { Field(key: $0.key, storage: .value($0.value)) }
    }

    /// Parses one line holding a JSON object (a UTF-8 byte order mark and surrounding whitespace
    /// are allowed).
    public init(parsing line: UnsafeBufferPointer<UInt8>, maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONParseError) {
        var bytes = line
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            bytes = UnsafeBufferPointer(rebasing: bytes[3...])
        }
        let copy = Array(bytes)
        source = copy
        fields = try copy.withUnsafeBufferPointer { buf throws(JSONParseError) -> [Field] in
            try JSONRecord.scanFields(buf, maxDepth: maxDepth)
        }
    }

    /// Parses one line held in a byte array.
    public init(parsing line: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONParseError) {
        let result = line.withUnsafeBufferPointer { buf in
            Result { () throws(JSONParseError) -> JSONRecord in try JSONRecord(parsing: buf, maxDepth: maxDepth) }
        }
        self = try result.get()
    }

    /// Parses one line held in a string.
    public init(parsing line: String, maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONParseError) {
        try self.init(parsing: Array(line.utf8), maxDepth: maxDepth)
    }

    static func scanFields(_ buf: UnsafeBufferPointer<UInt8>, maxDepth: Int) throws(JSONParseError) -> [Field] {
        var s = JSONScanner(buf)
        s.maxDepth = maxDepth
        s.skipWhitespace()
        guard !s.atEnd else { throw s.fail("empty line, expected a JSON object") }
        guard buf[s.index] == UInt8(ascii: "{") else {
            let start = s.index
            let v = try s.parseValue(depth: 0)  // a syntax error here is the better message
            throw JSONParseError("a record must be a JSON object, found \(v.kindName)", at: start)
        }
        var fields: [Field] = []
        try s.walkObject { s, key, keyRange throws(JSONParseError) in
            let valueRange = try s.skipValue(depth: 1)
            fields.append(Field(key: key, storage: .raw(keyBytes: keyRange, valueBytes: valueRange)))
        }
        s.skipWhitespace()
        if !s.atEnd { throw s.fail("unexpected data after the object") }
        return fields
    }

    // MARK: fields

    /// The keys in order.
    public var keys: [String] { fields.map(\.key) }

    /// Whether the record has this key.
    public func contains(_ key: String) -> Bool { fields.contains { $0.key == key } }

    /// A field's value; setting replaces it in place, appends a new key at the end, or removes it
    /// with nil.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let f = fields.first(where: { $0.key == key }) else { return nil }
            return decode(f.storage)
        }
        set {
            if let i = fields.firstIndex(where: { $0.key == key }) {
                if let v = newValue { fields[i].storage = .value(v) } else { fields.remove(at: i) }
            } else if let v = newValue {
                fields.append(Field(key: key, storage: .value(v)))
            }
        }
    }

    func decode(_ storage: Storage) -> JSONValue {
        switch storage {
        case .value(let v): return v
        case .raw(_, let r):
            // Already validated at parse time, so decoding cannot fail.
            return source.withUnsafeBufferPointer { buf in
                var s = JSONScanner(UnsafeBufferPointer(rebasing: buf[r]))
                s.maxDepth = Int.max
                return (try? s.parseValue(depth: 0)) ?? .null
            }
        }
    }

    /// A field's original JSON text when it has not been replaced (for example the `id` as read).
    public func rawText(_ key: String) -> String? {
        guard let f = fields.first(where: { $0.key == key }), case .raw(_, let r) = f.storage else { return nil }
        return String(decoding: source[r], as: UTF8.self)
    }

    /// The whole record as a `JSONObject`.
    public var object: JSONObject {
        var o = JSONObject()
        for f in fields { o.appendUnchecked(key: f.key, value: decode(f.storage)) }
        return o
    }

    // MARK: writing

    /// Appends the record's compact JSON text (no newline); unchanged fields are copied as read.
    public func write(into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        source.withUnsafeBufferPointer { src in
            for (i, f) in fields.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                switch f.storage {
                case .raw(let k, let v):
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: src[k]))
                    out.append(UInt8(ascii: ":"))
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: src[v]))
                case .value(let v):
                    JSONSerializer.writeString(f.key, into: &out)
                    out.append(UInt8(ascii: ":"))
                    JSONSerializer.write(v, into: &out)
                }
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The record's compact JSON text.
    public var jsonText: String {
        var out: [UInt8] = []
        write(into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
