import Testing
@testable import IRPOCore

/// The JSON parser and serializer: round trips, refusals with reasons, and byte-exact pass-through.
@Suite struct JSONTests {
    func roundTrip(_ text: String) throws -> String {
        JSONSerializer.string(try JSONParser.parse(text))
    }

    func parseError(_ text: String) -> String? {
        do { _ = try JSONParser.parse(text); return nil } catch { return error.reason }
    }

    func parseError(bytes: [UInt8]) -> String? {
        do { _ = try JSONParser.parse(bytes); return nil } catch { return error.reason }
    }

    @Test func compactRoundTripKeepsOrderAndNumbers() throws {
        #expect(try roundTrip(#"{"z": 1, "a": [true, false, null], "m": {"y": 1.50, "x": -0e+10}}"#)
            == #"{"z":1,"a":[true,false,null],"m":{"y":1.50,"x":-0e+10}}"#)
        #expect(try roundTrip("[]") == "[]")
        #expect(try roundTrip("{}") == "{}")
        #expect(try roundTrip(" \"x\" ") == "\"x\"")
        #expect(try roundTrip("12345678901234567890123") == "12345678901234567890123")
    }

    @Test func stringEscapes() throws {
        #expect(try JSONParser.parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        #expect(try JSONParser.parse(#""\u00e9\u4e2d\ud83d\ude00""#) == .string("é中😀"))
        #expect(try roundTrip(#""\u00e9\u0001\u001f""#) == "\"é\\u0001\\u001f\"")
        #expect(try roundTrip("\"tab\there\"".replacingOccurrences(of: "\t", with: "\\t")) == #""tab\there""#)
        var out: [UInt8] = []
        JSONSerializer.write(.string("a\u{7f}\u{0}\"é\n"), into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "\"a\u{7f}\\u0000\\\"é\\n\"")
    }

    @Test func refusalsCarryReasons() {
        #expect(parseError(#"{"a":1,"a":2}"#) == "duplicate key \"a\"")
        #expect(parseError(#"{"o":{"b":1,"b":2}}"#) == "duplicate key \"b\"")
        #expect(parseError("[1,]")?.contains("expected a value") == true || parseError("[1,]")?.contains("unexpected") == true)
        #expect(parseError("01") == "leading zero in number")
        #expect(parseError("1.") == "expected a digit after the decimal point")
        #expect(parseError("\"abc") == "unterminated string")
        #expect(parseError("\"a\u{1}b\"") == "unescaped control character 0x1 in string")
        #expect(parseError(#""\x""#) == "invalid escape \\x")
        #expect(parseError(#""\ud83d""#) == "high surrogate without a low surrogate")
        #expect(parseError(#""\ude00""#)?.hasPrefix("lone low surrogate") == true)
        #expect(parseError("{} x") == "unexpected data after the value")
        #expect(parseError("tru") == "invalid literal")
        #expect(parseError("{\"a\" 1}") == "expected ':' after object key, found '1'")
        #expect(parseError("") == "unexpected end of input, expected a value")
        #expect(parseError("NaN") != nil)
    }

    @Test func invalidUTF8IsRefused() {
        let q = UInt8(ascii: "\"")
        #expect(parseError(bytes: [q, 0xC3, q]) == "invalid UTF-8")               // truncated
        #expect(parseError(bytes: [q, 0xC0, 0x80, q]) == "invalid UTF-8")         // overlong NUL
        #expect(parseError(bytes: [q, 0xED, 0xA0, 0x80, q]) == "invalid UTF-8")   // encoded surrogate
        #expect(parseError(bytes: [q, 0xF4, 0x90, 0x80, 0x80, q]) == "invalid UTF-8")  // past U+10FFFF
        #expect(parseError(bytes: [q, 0xFF, q]) == "invalid UTF-8")
        #expect(parseError(bytes: [q, 0xF0, 0x9F, 0x98, 0x80, q]) == nil)        // 😀
    }

    @Test func nestingIsLimited() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONParser.parse(ok) }
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(parseError(deep) == "nesting deeper than 512 levels")
        let deepInRecord = "{\"a\":" + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}"
        #expect(throws: JSONParseError.self) { try JSONRecord(parsing: deepInRecord) }
    }

    @Test func numbersFromSwiftValues() {
        #expect(JSONSerializer.string(JSONValue(18)) == "18")
        #expect(JSONSerializer.string(JSONValue(0.1)) == "0.1")
        #expect(JSONSerializer.string(JSONValue(1.0 / 3.0)) == "0.3333333333333333")
        #expect(JSONSerializer.string(JSONValue(1e-7)) == "1e-07")
        #expect(JSONSerializer.string(JSONValue(Double.nan)) == "null")
        #expect(JSONNumber(text: "1e5") != nil)
        #expect(JSONNumber(text: "+1") == nil)
        #expect(JSONNumber(text: "1 ") == nil)
    }

    @Test func recordPassesUnknownFieldsThroughByteForByte() throws {
        let line = #"{ "id" : "q\u0031", "x": {"b":[1.0, 2E+3, "\u00e9\/"]} , "completion":"Final answer: 5" }"#
        var r = try JSONRecord(parsing: line)
        #expect(r.keys == ["id", "x", "completion"])
        #expect(try r.idKey == "\"q1\"")
        #expect(try r.completion() == "Final answer: 5")
        r["pred"] = .string("5")
        r["completion"] = .string("changed")
        #expect(r.jsonText == #"{"id":"q\u0031","x":{"b":[1.0, 2E+3, "\u00e9\/"]},"completion":"changed","pred":"5"}"#)
        r["x"] = nil
        #expect(r.keys == ["id", "completion", "pred"])
        #expect(r.rawText("id") == #""q\u0031""#)
    }

    @Test func recordRefusals() {
        func reason(_ s: String) -> String? {
            do { _ = try JSONRecord(parsing: s); return nil } catch { return error.reason }
        }
        #expect(reason("[1,2]") == "a record must be a JSON object, found an array")
        #expect(reason("\"s\"") == "a record must be a JSON object, found a string")
        #expect(reason(#"{"id":1,"id":2}"#) == "duplicate key \"id\"")
        #expect(reason("{\"a\":1} {}") == "unexpected data after the object")
        #expect(reason("{\"a\":1") == "unexpected end of input in object")
        #expect(reason("\u{FEFF}{\"a\":1}") == nil)  // a byte order mark is skipped
    }

    @Test func typedAccessors() throws {
        let r = try JSONRecord(parsing: #"{"id":7,"question":"Q","answer":72,"correct":true,"tokens":12,"pred":null,"prompt":3}"#)
        #expect(try r.idKey == "7")
        #expect(try r.question() == "Q")
        #expect(try r.answer() == "72")
        #expect(try r.correct() == true)
        #expect(try r.tokens() == 12)
        #expect(try r.pred() == nil)
        #expect(throws: RecordFieldError.wrongType("prompt", expected: "a string", found: .number(JSONNumber(3)))) { try r.prompt() }
        #expect(throws: RecordFieldError.missing("completion")) { try r.requireString("completion") }
        let m = try JSONRecord(parsing: #"{"problem":"P"}"#)
        #expect(try m.question() == "P")
    }

    @Test func objectKeepsInsertionOrder() {
        var o = JSONObject()
        o["b"] = JSONValue(1)
        o["a"] = JSONValue(2)
        o["b"] = JSONValue(3)
        #expect(o.keys == ["b", "a"])
        #expect(JSONSerializer.string(.object(o)) == #"{"b":3,"a":2}"#)
    }
}

/// Keys are byte strings in JSON: canonically equivalent spellings are different keys.
@Suite struct JSONKeyIdentityTests {
    @Test func canonicallyEquivalentKeysAreNotDuplicates() throws {
        // "Å" as U+00C5 and as U+212B (ANGSTROM SIGN): equal as Swift Strings, different bytes.
        let small = try JSONParser.parse("{\"\u{00C5}\": 1, \"\u{212B}\": 2}")
        #expect(small.objectValue?.count == 2)
        var many = (0..<20).map { "\"k\($0)\": \($0)" }
        many.append("\"\u{00C5}\": 1")
        many.append("\"\u{212B}\": 2")
        let large = try JSONParser.parse("{" + many.joined(separator: ", ") + "}")
        #expect(large.objectValue?.count == 22)
        #expect(throws: JSONParseError.self) { try JSONParser.parse("{\"a\": 1, \"a\": 2}") }
    }
}
