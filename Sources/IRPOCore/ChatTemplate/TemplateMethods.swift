/// The str and dict methods chat templates call (`content.strip()`, `tool.items()`, ...), with
/// Python's results; any other method is refused when the template is parsed.
enum TemplateMethods {
    /// Method names the parser accepts.
    static let supported: Set<String> = ["strip", "lstrip", "rstrip", "startswith", "endswith", "split", "upper", "lower",
                                         "replace", "join", "items", "keys", "values", "get"]

    static func call(_ method: String, on object: TemplateValue, _ args: EvaluatedArguments) throws(EvalFailure) -> TemplateValue {
        switch object {
        case .string(let s): return try stringMethod(method, s, args)
        case .dict(let d): return try dictMethod(method, d, args)
        default: throw .render("'\(pythonTypeName(object))' object has no attribute '\(method)'")
        }
    }

    private static func stringMethod(_ method: String, _ s: String, _ args: EvaluatedArguments) throws(EvalFailure) -> TemplateValue {
        let what = "str.\(method)()"
        switch method {
        case "strip", "lstrip", "rstrip":
            let chars = try args.bind(["chars"], defaults: [TemplateValue.none], in: what)[0]
            return .string(try pythonStrip(s, chars: chars, leading: method != "rstrip", trailing: method != "lstrip"))
        case "startswith", "endswith":
            let affix = try args.bind(["prefix"], defaults: [nil], in: what)[0]
            let candidates: [TemplateValue]
            if case .tuple(let t) = affix { candidates = t } else { candidates = [affix] }
            let scalars = Array(s.unicodeScalars)
            for candidate in candidates {
                guard case .string(let a) = candidate else {
                    throw .render("\(method) first arg must be str or a tuple of str, not \(pythonTypeName(candidate))")
                }
                let affixScalars = Array(a.unicodeScalars)
                let hit = method == "startswith" ? scalars.starts(with: affixScalars)
                                                 : scalars.reversed().starts(with: affixScalars.reversed())
                if hit { return .bool(true) }
            }
            return .bool(false)
        case "split":
            let a = try args.bind(["sep", "maxsplit"], defaults: [TemplateValue.none, .int(-1)], in: what)
            guard case .int(let maxsplit) = a[1] else { throw .render("split maxsplit must be an int") }
            return .list(try split(s, separator: a[0], maxsplit: maxsplit).map { .string($0) })
        case "upper", "lower":
            _ = try args.bind([], defaults: [], in: what)
            return .string(method == "upper" ? s.uppercased() : s.lowercased())
        case "replace":
            let a = try args.bind(["old", "new", "count"], defaults: [nil, nil, .int(-1)], in: what)
            guard case .string(let old) = a[0], case .string(let new) = a[1], case .int(let count) = a[2] else {
                throw .render("replace takes two strings and an optional count")
            }
            return .string(replace(s, old, new, count: count))
        case "join":
            let items = try args.bind(["iterable"], defaults: [nil], in: what)[0]
            var parts: [String] = []
            for (n, item) in try elements(of: items).enumerated() {
                guard case .string(let p) = item else {
                    throw .render("sequence item \(n): expected str instance, \(pythonTypeName(item)) found")
                }
                parts.append(p)
            }
            return .string(parts.joined(separator: s))
        default:
            throw .render("'str' object has no attribute '\(method)'")
        }
    }

    private static func dictMethod(_ method: String, _ d: TemplateDict, _ args: EvaluatedArguments) throws(EvalFailure) -> TemplateValue {
        let what = "dict.\(method)()"
        switch method {
        case "items":
            _ = try args.bind([], defaults: [], in: what)
            return .list(d.entries.map { .tuple([.string($0.key), $0.value]) })
        case "keys":
            _ = try args.bind([], defaults: [], in: what)
            return .list(d.keys.map { .string($0) })
        case "values":
            _ = try args.bind([], defaults: [], in: what)
            return .list(d.entries.map(\.value))
        case "get":
            let a = try args.bind(["key", "default"], defaults: [nil, TemplateValue.none], in: what)
            guard case .string(let key) = a[0] else { return a[1] }
            return d[key] ?? a[1]
        default:
            throw .render("'dict' object has no attribute '\(method)'")
        }
    }

    /// Python's str.split: on runs of whitespace with the ends dropped when `separator` is None,
    /// else on each occurrence of it; at most `maxsplit` cuts when it is not negative.
    static func split(_ s: String, separator: TemplateValue, maxsplit: Int) throws(EvalFailure) -> [String] {
        let scalars = Array(s.unicodeScalars)
        func text(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(scalars[r])) }
        var parts: [String] = []
        switch separator {
        case .none:
            var i = 0
            while true {
                while i < scalars.count, pythonIsSpace(scalars[i]) { i += 1 }
                if i == scalars.count { break }
                if maxsplit >= 0 && parts.count == maxsplit {
                    parts.append(text(i..<scalars.count))
                    break
                }
                let start = i
                while i < scalars.count, !pythonIsSpace(scalars[i]) { i += 1 }
                parts.append(text(start..<i))
            }
        case .string(let sepText):
            let sep = Array(sepText.unicodeScalars)
            guard !sep.isEmpty else { throw .render("empty separator") }
            var start = 0, i = 0
            while i + sep.count <= scalars.count {
                if (maxsplit < 0 || parts.count < maxsplit) && scalars[i..<(i + sep.count)].elementsEqual(sep) {
                    parts.append(text(start..<i))
                    i += sep.count
                    start = i
                } else {
                    i += 1
                }
            }
            parts.append(text(start..<scalars.count))
        default:
            throw .render("must be str or None, not \(pythonTypeName(separator))")
        }
        return parts
    }

    /// Python's str.replace; an empty `old` inserts `new` between every character and at both ends.
    static func replace(_ s: String, _ old: String, _ new: String, count: Int) -> String {
        let scalars = Array(s.unicodeScalars), pattern = Array(old.unicodeScalars)
        var out = String.UnicodeScalarView()
        var done = 0
        func more() -> Bool { count < 0 || done < count }
        if pattern.isEmpty {
            for c in scalars {
                if more() { out.append(contentsOf: new.unicodeScalars); done += 1 }
                out.append(c)
            }
            if more() { out.append(contentsOf: new.unicodeScalars) }
            return String(out)
        }
        var i = 0
        while i < scalars.count {
            if more(), i + pattern.count <= scalars.count, scalars[i..<(i + pattern.count)].elementsEqual(pattern) {
                out.append(contentsOf: new.unicodeScalars)
                i += pattern.count
                done += 1
            } else {
                out.append(scalars[i])
                i += 1
            }
        }
        return String(out)
    }
}
