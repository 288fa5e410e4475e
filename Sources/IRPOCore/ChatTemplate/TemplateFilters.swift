/// The filters and tests the supported chat templates call, with Jinja's semantics; any other
/// name is refused when the template is parsed.
enum TemplateFilters {
    /// Filter names the parser accepts.
    static let supported: Set<String> = ["trim", "length", "count", "tojson", "upper", "lower", "default", "d", "items",
                                         "join", "string", "list", "first", "last", "select", "reject", "selectattr",
                                         "rejectattr"]

    /// Test names the parser accepts (`x is defined`, `x is not none`, ...).
    static let supportedTests: Set<String> = ["defined", "undefined", "none", "string", "mapping", "iterable", "sequence",
                                              "number", "integer", "float", "boolean", "true", "false", "equalto", "eq",
                                              "==", "ne", "!="]

    /// The filter `name` applied to `value` with the call's arguments.
    static func apply(_ name: String, to value: TemplateValue, _ args: EvaluatedArguments,
                      namespaces: [TemplateDict]) throws(EvalFailure) -> TemplateValue {
        switch name {
        case "trim":
            let chars = try args.bind(["chars"], defaults: [TemplateValue.none], in: "trim")[0]
            return .string(try pythonStrip(pythonStr(value), chars: chars, leading: true, trailing: true))
        case "length", "count":
            _ = try args.bind([], defaults: [], in: name)
            return .int(try length(value))
        case "tojson":
            return try toJSON(value, args)
        case "upper", "lower":
            _ = try args.bind([], defaults: [], in: name)
            let s = pythonStr(value)
            return .string(name == "upper" ? s.uppercased() : s.lowercased())
        case "default", "d":
            let a = try args.bind(["default_value", "boolean"], defaults: [.string(""), .bool(false)], in: "default")
            if case .undefined = value { return a[0] }
            return pythonTruthy(a[1]) && !pythonTruthy(value) ? a[0] : value
        case "items":
            _ = try args.bind([], defaults: [], in: "items")
            switch value {
            case .dict(let d): return .list(d.entries.map { .tuple([.string($0.key), $0.value]) })
            case .undefined: return .list([])
            default: throw .render("Can only get item pairs from a mapping.")
            }
        case "join":
            let a = try args.bind(["d", "attribute"], defaults: [.string(""), TemplateValue.none], in: "join")
            var items = try elements(of: value)
            if case .string(let attribute) = a[1] {
                items = try items.map { x throws(EvalFailure) in try attributePath(x, attribute, namespaces: namespaces) }
            }
            return .string(items.map(pythonStr).joined(separator: pythonStr(a[0])))
        case "string":
            _ = try args.bind([], defaults: [], in: "string")
            return .string(pythonStr(value))
        case "list":
            _ = try args.bind([], defaults: [], in: "list")
            return .list(try elements(of: value))
        case "first", "last":
            _ = try args.bind([], defaults: [], in: name)
            let items = try elements(of: value)
            return (name == "first" ? items.first : items.last) ?? .undefined
        case "select", "reject", "selectattr", "rejectattr":
            return try select(value, args, name: name, namespaces: namespaces)
        default:
            throw .unsupported("filter '\(name)'")
        }
    }

    /// Python's `json.dumps` with the keyword arguments templates pass (`indent`, `separators`, ...).
    private static func toJSON(_ value: TemplateValue, _ args: EvaluatedArguments) throws(EvalFailure) -> TemplateValue {
        let a = try args.bind(["ensure_ascii", "indent", "separators", "sort_keys"],
                              defaults: [.bool(false), TemplateValue.none, TemplateValue.none, .bool(false)], in: "tojson")
        var indent: String?
        switch a[1] {
        case .none: indent = nil
        case .int(let n): indent = String(repeating: " ", count: max(0, n))
        case .string(let s): indent = s
        default: throw .render("tojson indent must be an int or a string")
        }
        var separators: (String, String)?
        if case .none = a[2] {
            separators = nil
        } else {
            let pair = try elements(of: a[2])
            guard pair.count == 2, case .string(let item) = pair[0], case .string(let key) = pair[1] else {
                throw .render("tojson separators must be two strings")
            }
            separators = (item, key)
        }
        let json = PythonJSON(indent: indent, separators: separators, sortKeys: pythonTruthy(a[3]), ensureASCII: pythonTruthy(a[0]))
        do {
            return .string(try json.encode(value))
        } catch {
            throw .render("Object of type \(error.typeName) is not JSON serializable")
        }
    }

    /// select/reject keep the items that pass a test (or are truthy); selectattr/rejectattr test
    /// one attribute of each item.
    private static func select(_ value: TemplateValue, _ args: EvaluatedArguments, name: String,
                               namespaces: [TemplateDict]) throws(EvalFailure) -> TemplateValue {
        if name == "select" || name == "reject" {
            // Jinja walks only a truthy value, so none and false select nothing.
            let items = pythonTruthy(value) ? try elements(of: value) : []
            let keep = name == "select"
            var out: [TemplateValue] = []
            for item in items where try passes(item, args.positional, from: 0, name: name) == keep { out.append(item) }
            return .list(out)
        }
        guard case .string(let attribute)? = args.positional.first else {
            throw .render("\(name) needs the attribute name as its first argument")
        }
        let keep = name == "selectattr"
        var out: [TemplateValue] = []
        for item in pythonTruthy(value) ? try elements(of: value) : [] {
            let field = try attributePath(item, attribute, namespaces: namespaces)
            if try passes(field, args.positional, from: 1, name: name) == keep { out.append(item) }
        }
        return .list(out)
    }

    /// select/reject and their attr forms: the test named at `arguments[from]` with the rest
    /// as its arguments, or plain truth when no test is named.
    private static func passes(_ v: TemplateValue, _ arguments: [TemplateValue], from: Int, name: String) throws(EvalFailure) -> Bool {
        guard arguments.count > from else { return pythonTruthy(v) }
        guard case .string(let test) = arguments[from] else { throw .render("\(name): the test must be named by a string") }
        guard supportedTests.contains(test) else { throw .unsupported("test '\(test)'") }
        return try Self.test(test, v, EvaluatedArguments(positional: Array(arguments[(from + 1)...])))
    }

    /// An item's attribute by a dotted path ("function.name"), as Jinja's attribute getters read it.
    private static func attributePath(_ v: TemplateValue, _ path: String, namespaces: [TemplateDict]) throws(EvalFailure) -> TemplateValue {
        var current = v
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            // Jinja's attribute getter fails on a missing link; only the last may be missing.
            if case .undefined = current { throw .render("'\(part)' is undefined: '\(path)' has a missing link") }
            let key: TemplateValue = Int(part).map { .int($0) } ?? .string(String(part))
            current = try TemplateOperators.item(current, key, namespaces: namespaces)
        }
        return current
    }

    /// Python's len().
    static func length(_ v: TemplateValue) throws(EvalFailure) -> Int {
        switch v {
        case .string(let s): return s.unicodeScalars.count
        case .list(let l), .tuple(let l): return l.count
        case .dict(let d): return d.count
        case .undefined: return 0
        default: throw .render("object of type '\(pythonTypeName(v))' has no len()")
        }
    }

    static func test(_ name: String, _ v: TemplateValue, _ args: EvaluatedArguments) throws(EvalFailure) -> Bool {
        switch name {
        case "equalto", "eq", "==":
            return pythonEquals(v, try args.bind(["other"], defaults: [nil], in: "test '\(name)'")[0])
        case "ne", "!=":
            return !pythonEquals(v, try args.bind(["other"], defaults: [nil], in: "test '\(name)'")[0])
        default:
            break
        }
        _ = try args.bind([], defaults: [], in: "test '\(name)'")
        switch name {
        case "defined": return !v.isUndefined
        case "undefined": return v.isUndefined
        case "none": return v == .none
        case "string": if case .string = v { return true } else { return false }
        case "mapping": if case .dict = v { return true } else { return false }
        // Jinja's Undefined iterates (as empty) and has a length, so it is both.
        case "iterable", "sequence":
            switch v {
            case .string, .list, .tuple, .dict, .undefined: return true
            default: return false
            }
        case "number": return PythonNumber(v) != nil
        case "integer": if case .int = v { return true } else { return false }
        case "float": if case .double = v { return true } else { return false }
        case "boolean": if case .bool = v { return true } else { return false }
        case "true": return v == .bool(true)
        case "false": return v == .bool(false)
        default: throw .unsupported("test '\(name)'")
        }
    }
}

/// Python's str.strip family: whitespace by default, else any of the characters given.
func pythonStrip(_ s: String, chars: TemplateValue, leading: Bool, trailing: Bool) throws(EvalFailure) -> String {
    let strip: (Unicode.Scalar) -> Bool
    switch chars {
    case .none: strip = pythonIsSpace
    case .string(let set):
        let members = Set(set.unicodeScalars)
        strip = { members.contains($0) }
    default: throw .render("strip arg must be None or str")
    }
    var scalars = Substring(s).unicodeScalars[...]
    if leading { while let c = scalars.first, strip(c) { scalars.removeFirst() } }
    if trailing { while let c = scalars.last, strip(c) { scalars.removeLast() } }
    return String(String.UnicodeScalarView(scalars))
}
