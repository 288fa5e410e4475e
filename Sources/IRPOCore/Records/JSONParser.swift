/// Reads JSON text into `JSONValue`s: RFC 8259 strict, UTF-8 validated, nesting limited.
///
/// Duplicate keys in an object are an error at every level, since JSONL tools disagree on which
/// one wins and a record that means two things should not be graded as either.
public enum JSONParser {
    /// The deepest nesting of arrays and objects accepted unless a caller asks otherwise.
    public static let defaultMaxDepth = 512

    /// Parses one complete JSON text (surrounding whitespace allowed, nothing else after it).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        var s = JSONScanner(bytes)
        s.maxDepth = maxDepth
        let v = try s.parseValue(depth: 0)
        s.skipWhitespace()
        if !s.atEnd { throw s.fail("unexpected data after the value") }
        return v
    }

    /// Parses one complete JSON text held in a byte array.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        do {
            return try bytes.withUnsafeBufferPointer { try parse($0, maxDepth: maxDepth) }
        } catch let e as JSONParseError {
            throw e
        } catch {
            fatalError("unreachable: \(error)")
        }
    }

    /// Parses one complete JSON text held in a string.
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }
}
