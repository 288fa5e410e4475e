/// The `tojson` filter as transformers defines it: Python's `json.dumps(value, ensure_ascii=False,
/// indent=None, separators=None, sort_keys=False)`, whose default separators carry spaces
/// (", " and ": ", or "," and ": " once indented) unlike compact JSON writers.
struct PythonJSON {
    /// Spaces per level (Python also accepts a string), nil for one line.
    var indent: String?
    var itemSeparator: String
    var keySeparator: String
    var sortKeys = false
    var ensureASCII = false

    /// json.dumps' defaults for this indent.
    init(indent: String?, separators: (String, String)? = nil, sortKeys: Bool = false, ensureASCII: Bool = false) {
        self.indent = indent
        (itemSeparator, keySeparator) = separators ?? (indent == nil ? (", ", ": ") : (",", ": "))
        self.sortKeys = sortKeys
        self.ensureASCII = ensureASCII
    }

    /// The JSON text of `value`; throws the message Python's encoder gives for values JSON lacks.
    func encode(_ value: TemplateValue) throws(PythonJSONError) -> String {
        var out = ""
        try write(value, level: 0, into: &out)
        return out
    }

    private func write(_ value: TemplateValue, level: Int, into out: inout String) throws(PythonJSONError) {
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else { out += pythonFloatRepr(d) }
        case .string(let s): writeString(s, into: &out)
        case .list(let items), .tuple(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (n, item) in items.enumerated() {
                out += n == 0 ? opening(level) : itemSeparator + newline(level + 1)
                try write(item, level: level + 1, into: &out)
            }
            out += newline(level) + "]"
        case .dict(let d):
            if d.count == 0 { out += "{}"; return }
            var entries = d.entries
            if sortKeys { entries.sort { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) } }
            out += "{"
            for (n, entry) in entries.enumerated() {
                out += n == 0 ? opening(level) : itemSeparator + newline(level + 1)
                writeString(entry.key, into: &out)
                out += keySeparator
                try write(entry.value, level: level + 1, into: &out)
            }
            out += newline(level) + "}"
        case .undefined, .object:
            throw PythonJSONError(typeName: pythonTypeName(value))
        }
    }

    private func opening(_ level: Int) -> String { newline(level + 1) }

    /// With an indent every member starts a line indented to its level; without, nothing.
    private func newline(_ level: Int) -> String {
        guard let indent else { return "" }
        return "\n" + String(repeating: indent, count: level)
    }

    private func writeString(_ s: String, into out: inout String) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if c.value < 0x20 || (ensureASCII && c.value > 0x7E) {
                    if c.value > 0xFFFF {
                        let v = c.value - 0x10000
                        out += unicodeEscape(0xD800 + (v >> 10)) + unicodeEscape(0xDC00 + (v & 0x3FF))
                    } else {
                        out += unicodeEscape(c.value)
                    }
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out += "\""
    }

    private func unicodeEscape(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - h.count) + h
    }
}

/// A value JSON has no spelling for (undefined, a namespace, a function).
struct PythonJSONError: Error {
    var typeName: String
}
