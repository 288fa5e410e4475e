// How Python treats the values a Jinja template computes with: truth, equality, str() and
// repr(). transformers renders with Jinja on CPython, so a render is byte-identical only when
// these agree with CPython's, down to the digits of a float and the quotes of a repr.

/// Python's truth value: empty strings, lists and dicts, zero, None and undefined are false.
func pythonTruthy(_ v: TemplateValue) -> Bool {
    switch v {
    case .undefined, .none: return false
    case .bool(let b): return b
    case .int(let i): return i != 0
    case .double(let d): return d != 0
    case .string(let s): return !s.isEmpty
    case .list(let l), .tuple(let l): return !l.isEmpty
    case .dict(let d): return d.count > 0
    case .object: return true
    }
}

/// A number as Python sees it in arithmetic and comparison (bools are the ints 0 and 1).
enum PythonNumber {
    case int(Int)
    case double(Double)

    init?(_ v: TemplateValue) {
        switch v {
        case .bool(let b): self = .int(b ? 1 : 0)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        default: return nil
        }
    }

    var double: Double {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        }
    }
}

/// Python's `==`: numbers by value across int, float and bool; lists element-wise; dicts by
/// keys and values in any order; undefined equals only undefined.
func pythonEquals(_ a: TemplateValue, _ b: TemplateValue) -> Bool {
    if let x = PythonNumber(a), let y = PythonNumber(b) {
        if case .int(let i) = x, case .int(let j) = y { return i == j }
        return x.double == y.double
    }
    switch (a, b) {
    case (.undefined, .undefined), (.none, .none): return true
    case (.string(let x), .string(let y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
    case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { pythonEquals($0, $1) }
    case (.dict(let x), .dict(let y)):
        return x.count == y.count && x.entries.allSatisfy { e in y[e.key].map { pythonEquals(e.value, $0) } ?? false }
    case (.object(let x), .object(let y)): return x == y
    default: return false
    }
}

/// Python's type name of a value, for error messages that read like Python's.
func pythonTypeName(_ v: TemplateValue) -> String {
    switch v {
    case .undefined: return "Undefined"
    case .none: return "NoneType"
    case .bool: return "bool"
    case .int: return "int"
    case .double: return "float"
    case .string: return "str"
    case .list: return "list"
    case .tuple: return "tuple"
    case .dict: return "dict"
    case .object(let o):
        if case .namespace = o.kind { return "Namespace" }
        return "function"
    }
}

/// Python's `str()` of a value, which is what `{{ }}`, `~`, `join` and `string` print;
/// undefined prints as nothing, as Jinja's Undefined does.
func pythonStr(_ v: TemplateValue) -> String {
    switch v {
    case .undefined: return ""
    case .string(let s): return s
    default: return pythonRepr(v)
    }
}

/// Python's `repr()`: what a list or dict shows its members as.
func pythonRepr(_ v: TemplateValue) -> String {
    switch v {
    case .undefined: return ""
    case .none: return "None"
    case .bool(let b): return b ? "True" : "False"
    case .int(let i): return String(i)
    case .double(let d): return pythonFloatRepr(d)
    case .string(let s): return pythonStringRepr(s)
    case .list(let l): return "[" + l.map(pythonRepr).joined(separator: ", ") + "]"
    case .tuple(let t): return "(" + t.map(pythonRepr).joined(separator: ", ") + (t.count == 1 ? ",)" : ")")
    case .dict(let d):
        return "{" + d.entries.map { pythonStringRepr($0.key) + ": " + pythonRepr($0.value) }.joined(separator: ", ") + "}"
    case .object(let o):
        switch o.kind {
        case .namespace: return "<Namespace>"
        case .function(let f): return "<function \(f.rawValue)>"
        }
    }
}

/// Python's repr of a string: single quotes unless the text has a single quote and no double
/// one; backslash, the quote and control characters escaped.
func pythonStringRepr(_ s: String) -> String {
    let scalars = s.unicodeScalars
    let quote: Unicode.Scalar = scalars.contains("'") && !scalars.contains("\"") ? "\"" : "'"
    var out = String(quote)
    for c in scalars {
        switch c {
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case quote: out += "\\" + String(quote)
        default:
            if c.value < 0x20 || (0x7F...0xA0).contains(c.value) || c.value == 0xAD {
                out += "\\x" + hex(c.value, digits: 2)
            } else if !pythonIsPrintable(c) {
                out += c.value <= 0xFFFF ? "\\u" + hex(c.value, digits: 4) : "\\U" + hex(c.value, digits: 8)
            } else {
                out.unicodeScalars.append(c)
            }
        }
    }
    out.unicodeScalars.append(quote)
    return out
}

private func hex(_ v: UInt32, digits: Int) -> String {
    let h = String(v, radix: 16)
    return String(repeating: "0", count: max(0, digits - h.count)) + h
}

/// str.isprintable for one code point: everything but the Other and Separator categories,
/// except the ASCII space.
private func pythonIsPrintable(_ c: Unicode.Scalar) -> Bool {
    if c == " " { return true }
    switch c.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
        return false
    default:
        return true
    }
}

/// Python's str.isspace for one code point: Unicode White_Space plus the four information
/// separators U+001C–U+001F, which Python also strips.
func pythonIsSpace(_ c: Unicode.Scalar) -> Bool {
    c.properties.isWhitespace || (0x1C...0x1F).contains(c.value)
}

/// Python's repr of a float: the shortest digits that read back to the same value, laid out
/// fixed between 1e-4 and 1e16 (always with a fractional part) and as d.ddde±XX outside.
func pythonFloatRepr(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    let sign = d.sign == .minus ? "-" : ""
    if d == 0 { return sign + "0.0" }
    // Swift's description is also the shortest round-trip text; only the layout differs.
    let (digits, decimalPoint) = shortestDigits(abs(d))
    let n = digits.count
    if decimalPoint > -4 && decimalPoint <= 16 {
        if decimalPoint <= 0 { return sign + "0." + String(repeating: "0", count: -decimalPoint) + digits }
        if decimalPoint >= n { return sign + digits + String(repeating: "0", count: decimalPoint - n) + ".0" }
        let cut = digits.index(digits.startIndex, offsetBy: decimalPoint)
        return sign + digits[..<cut] + "." + digits[cut...]
    }
    let exponent = decimalPoint - 1
    var mantissa = String(digits.prefix(1))
    if n > 1 { mantissa += "." + digits.dropFirst() }
    let e = String(abs(exponent))
    return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (e.count < 2 ? "0" + e : e)
}

/// The significant digits of a positive finite double and where the decimal point goes:
/// value = 0.<digits> × 10^decimalPoint, no leading or trailing zeros in digits.
private func shortestDigits(_ d: Double) -> (String, Int) {
    let text = d.description
    var mantissa = Substring(text)
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = text[..<e]
        exponent = Int(text[text.index(after: e)...]) ?? 0
    }
    var digits = ""
    var point = 0
    var seenPoint = false
    for ch in mantissa {
        if ch == "." { seenPoint = true; continue }
        digits.append(ch)
        if !seenPoint { point += 1 }
    }
    while digits.hasPrefix("0") { digits.removeFirst(); point -= 1 }
    while digits.hasSuffix("0") { digits.removeLast() }
    return (digits, point + exponent)
}
