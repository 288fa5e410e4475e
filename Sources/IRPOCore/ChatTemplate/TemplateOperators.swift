import Foundation

/// Python's operators on template values, with Python's results and Python's errors.
enum TemplateOperators {
    /// Names Python resolves to methods of these types before any dict key: Jinja's `d.items`
    /// is the method, not the key, and printing or testing it would not render as data.
    private static let dictMethods: Set<String> = ["clear", "copy", "fromkeys", "get", "items", "keys", "pop", "popitem",
                                                   "setdefault", "update", "values"]
    private static let strMethods: Set<String> = [
        "capitalize", "casefold", "center", "count", "encode", "endswith", "expandtabs", "find", "format", "format_map",
        "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric",
        "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "maketrans", "partition",
        "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split",
        "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill",
    ]
    private static let listMethods: Set<String> = ["append", "clear", "copy", "count", "extend", "index", "insert", "pop",
                                                   "remove", "reverse", "sort"]

    private static func methodAsValue(_ object: TemplateValue, _ name: String) -> EvalFailure? {
        let methods: Set<String>
        switch object {
        case .dict: methods = dictMethods
        case .string: methods = strMethods
        case .list: methods = listMethods
        case .tuple: methods = ["count", "index"]
        default: return nil
        }
        return methods.contains(name) ? .unsupported("\(pythonTypeName(object)) method '\(name)' used as a value") : nil
    }

    /// `object.name`: Python attributes first (refused, as methods), then the key; else undefined.
    static func attribute(_ object: TemplateValue, _ name: String, namespaces: [TemplateDict]) throws(EvalFailure) -> TemplateValue {
        if let failure = methodAsValue(object, name) { throw failure }
        switch object {
        case .dict(let d): return d[name] ?? .undefined
        case .object(let o):
            if case .namespace(let id) = o.kind { return namespaces[id][name] ?? .undefined }
            return .undefined
        default: return .undefined
        }
    }

    /// `object[key]`: the item, else (for a string key) the attribute; out of range is undefined.
    static func item(_ object: TemplateValue, _ key: TemplateValue, namespaces: [TemplateDict]) throws(EvalFailure) -> TemplateValue {
        switch (object, key) {
        case (.dict(let d), .string(let k)):
            if let v = d[k] { return v }
        case (.list(let l), _), (.tuple(let l), _):
            if let i = integerIndex(key) {
                let j = i < 0 ? i + l.count : i
                return l.indices.contains(j) ? l[j] : .undefined
            }
        case (.string(let s), _):
            if let i = integerIndex(key) {
                let scalars = Array(s.unicodeScalars)
                let j = i < 0 ? i + scalars.count : i
                return scalars.indices.contains(j) ? .string(String(scalars[j])) : .undefined
            }
        default:
            break
        }
        if case .string(let name) = key { return try attribute(object, name, namespaces: namespaces) }
        return .undefined
    }

    private static func integerIndex(_ v: TemplateValue) -> Int? {
        switch v {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// `object[start:stop:step]` on a list, tuple or string, with Python's clamping and negative
    /// steps. Jinja slices with Python's own subscript, so other values fail, unlike `x[i]`.
    static func slice(_ object: TemplateValue, start: TemplateValue?, stop: TemplateValue?, step: TemplateValue?) throws(EvalFailure) -> TemplateValue {
        func bound(_ v: TemplateValue?) throws(EvalFailure) -> Int? {
            guard let v else { return nil }
            if case .none = v { return nil }
            guard let i = integerIndex(v) else {
                throw .render("slice indices must be integers or None, not \(pythonTypeName(v))")
            }
            return i
        }
        let stepValue = try bound(step) ?? 1
        guard stepValue != 0 else { throw .render("slice step cannot be zero") }
        let (lower, upper) = (try bound(start), try bound(stop))
        func indices(_ count: Int) -> [Int] {
            func clamp(_ i: Int?, _ defaultValue: Int, low: Int, high: Int) -> Int {
                guard var i else { return defaultValue }
                if i < 0 { i += count }
                return min(max(i, low), high)
            }
            var out: [Int] = []
            if stepValue > 0 {
                var i = clamp(lower, 0, low: 0, high: count)
                let end = clamp(upper, count, low: 0, high: count)
                while i < end { out.append(i); i += stepValue }
            } else {
                var i = clamp(lower, count - 1, low: -1, high: count - 1)
                let end = clamp(upper, -1, low: -1, high: count - 1)
                while i > end { out.append(i); i += stepValue }
            }
            return out
        }
        switch object {
        case .list(let l):
            return .list(indices(l.count).map { l[$0] })
        case .tuple(let t):
            return .tuple(indices(t.count).map { t[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in indices(scalars.count) { out.append(scalars[i]) }
            return .string(String(out))
        default:
            throw .render("'\(pythonTypeName(object))' object is not subscriptable")
        }
    }

    static func negate(_ v: TemplateValue) throws(EvalFailure) -> TemplateValue {
        switch PythonNumber(v) {
        case .int(let i):
            guard i != .min else { throw .render("integer overflow") }
            return .int(-i)
        case .double(let d): return .double(-d)
        case nil: throw .render("bad operand type for unary -: '\(pythonTypeName(v))'")
        }
    }

    private static func unsupportedOperands(_ op: BinaryOperator, _ a: TemplateValue, _ b: TemplateValue) -> EvalFailure {
        if op == .add, case .string = a {
            return .render("can only concatenate str (not \"\(pythonTypeName(b))\") to str")
        }
        if op == .modulo, case .string = a { return .unsupported("string formatting with '%'") }
        return .render("unsupported operand type(s) for \(op.rawValue): '\(pythonTypeName(a))' and '\(pythonTypeName(b))'")
    }

    /// `a op b` for the arithmetic operators and `~`.
    static func binary(_ op: BinaryOperator, _ a: TemplateValue, _ b: TemplateValue) throws(EvalFailure) -> TemplateValue {
        if op == .concat { return .string(pythonStr(a) + pythonStr(b)) }
        if let x = PythonNumber(a), let y = PythonNumber(b) { return try arithmetic(op, x, y) }
        switch (op, a, b) {
        case (.add, .string(let x), .string(let y)): return .string(x + y)
        case (.add, .list(let x), .list(let y)): return .list(x + y)
        case (.add, .tuple(let x), .tuple(let y)): return .tuple(x + y)
        case (.multiply, .string(let s), _), (.multiply, _, .string(let s)):
            guard let n = integerIndex(a) ?? integerIndex(b) else { throw unsupportedOperands(op, a, b) }
            return .string(String(repeating: s, count: max(0, n)))
        case (.multiply, .list(let l), _), (.multiply, _, .list(let l)):
            guard let n = integerIndex(a) ?? integerIndex(b) else { throw unsupportedOperands(op, a, b) }
            return .list(Array([[TemplateValue]](repeating: l, count: max(0, n)).joined()))
        case (.multiply, .tuple(let t), _), (.multiply, _, .tuple(let t)):
            guard let n = integerIndex(a) ?? integerIndex(b) else { throw unsupportedOperands(op, a, b) }
            return .tuple(Array([[TemplateValue]](repeating: t, count: max(0, n)).joined()))
        default:
            throw unsupportedOperands(op, a, b)
        }
    }

    private static func arithmetic(_ op: BinaryOperator, _ x: PythonNumber, _ y: PythonNumber) throws(EvalFailure) -> TemplateValue {
        if case .int(let i) = x, case .int(let j) = y {
            func checked(_ r: (partialValue: Int, overflow: Bool)) throws(EvalFailure) -> TemplateValue {
                guard !r.overflow else { throw .render("integer overflow (Python's integers have no limit; ours have 64 bits)") }
                return .int(r.partialValue)
            }
            switch op {
            case .add: return try checked(i.addingReportingOverflow(j))
            case .subtract: return try checked(i.subtractingReportingOverflow(j))
            case .multiply: return try checked(i.multipliedReportingOverflow(by: j))
            case .divide:
                guard j != 0 else { throw .render("division by zero") }
                return .double(Double(i) / Double(j))
            case .floorDivide, .modulo:
                guard j != 0 else { throw .render("integer division or modulo by zero") }
                guard !(i == .min && j == -1) else { throw .render("integer overflow") }
                var q = i / j
                var r = i % j
                // Python rounds the quotient down, so the remainder takes the divisor's sign.
                if r != 0 && ((r < 0) != (j < 0)) { q -= 1; r += j }
                return .int(op == .floorDivide ? q : r)
            case .power:
                if j < 0 { return .double(Foundation.pow(Double(i), Double(j))) }
                return try checkedPower(i, j)
            case .concat:
                return .string(String(i) + String(j))
            }
        }
        let a = x.double, b = y.double
        switch op {
        case .add: return .double(a + b)
        case .subtract: return .double(a - b)
        case .multiply: return .double(a * b)
        case .divide:
            guard b != 0 else { throw .render("float division by zero") }
            return .double(a / b)
        case .floorDivide, .modulo:
            guard b != 0 else { throw .render(op == .modulo ? "float modulo" : "float floor division by zero") }
            var r = fmod(a, b)
            if r != 0 && ((r < 0) != (b < 0)) { r += b }
            if op == .modulo { return .double(r == 0 ? (b < 0 ? -0.0 : 0.0) : r) }
            return .double(((a - r) / b).rounded())
        case .power:
            return .double(Foundation.pow(a, b))
        case .concat:
            return .string(pythonStr(.double(a)) + pythonStr(.double(b)))
        }
    }

    /// i ** j for j >= 0 by repeated squaring, failing where Python's unbounded ints would not.
    private static func checkedPower(_ i: Int, _ j: Int) throws(EvalFailure) -> TemplateValue {
        var result = 1, base = i, exponent = j
        while exponent > 0 {
            if exponent & 1 == 1 {
                let (p, o) = result.multipliedReportingOverflow(by: base)
                guard !o else { throw .render("integer overflow (Python's integers have no limit; ours have 64 bits)") }
                result = p
            }
            exponent >>= 1
            if exponent > 0 {
                let (sq, o) = base.multipliedReportingOverflow(by: base)
                guard !o else { throw .render("integer overflow (Python's integers have no limit; ours have 64 bits)") }
                base = sq
            }
        }
        return .int(result)
    }

    /// One comparison of a chain; undefined operands fail for ordering, as Jinja's Undefined does.
    static func compare(_ op: CompareOperator, _ a: TemplateValue, _ b: TemplateValue,
                        describing exprs: (TemplateExpr, TemplateExpr)) throws(EvalFailure) -> Bool {
        switch op {
        case .equal: return pythonEquals(a, b)
        case .notEqual: return !pythonEquals(a, b)
        case .in: return try contains(b, a)
        case .notIn: return !(try contains(b, a))
        case .less, .lessEqual, .greater, .greaterEqual:
            if case .undefined = a { throw .render("'\(TemplateEvaluator.describe(exprs.0))' is undefined") }
            if case .undefined = b { throw .render("'\(TemplateEvaluator.describe(exprs.1))' is undefined") }
            if let x = PythonNumber(a), let y = PythonNumber(b), x.double.isNaN || y.double.isNaN { return false }
            guard let order = ordering(a, b) else {
                throw .render("'\(op.rawValue)' not supported between instances of '\(pythonTypeName(a))' and '\(pythonTypeName(b))'")
            }
            switch op {
            case .less: return order < 0
            case .lessEqual: return order <= 0
            case .greater: return order > 0
            default: return order >= 0
            }
        }
    }

    /// -1, 0 or 1 for values Python can order (numbers, strings by code point, lists item by
    /// item); nil for the rest.
    private static func ordering(_ a: TemplateValue, _ b: TemplateValue) -> Int? {
        if let x = PythonNumber(a), let y = PythonNumber(b) {
            if case .int(let i) = x, case .int(let j) = y { return i < j ? -1 : i > j ? 1 : 0 }
            let (p, q) = (x.double, y.double)
            return p < q ? -1 : p > q ? 1 : 0
        }
        switch (a, b) {
        case (.string(let x), .string(let y)):
            if x.unicodeScalars.elementsEqual(y.unicodeScalars) { return 0 }
            return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars) ? -1 : 1
        case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
            for (p, q) in zip(x, y) where !pythonEquals(p, q) { return ordering(p, q) }
            return x.count < y.count ? -1 : x.count > y.count ? 1 : 0
        default:
            return nil
        }
    }

    /// Python's `needle in container`.
    static func contains(_ container: TemplateValue, _ needle: TemplateValue) throws(EvalFailure) -> Bool {
        switch container {
        case .list(let l), .tuple(let l): return l.contains { pythonEquals($0, needle) }
        case .dict(let d):
            switch needle {
            case .string(let k): return d[k] != nil
            case .list, .dict: throw .render("unhashable type: '\(pythonTypeName(needle))'")
            default: return false
            }
        case .string(let s):
            guard case .string(let n) = needle else {
                throw .render("'in <string>' requires string as left operand, not \(pythonTypeName(needle))")
            }
            if n.isEmpty { return true }
            let hay = Array(s.unicodeScalars), pin = Array(n.unicodeScalars)
            guard pin.count <= hay.count else { return false }
            for start in 0...(hay.count - pin.count) where hay[start..<(start + pin.count)].elementsEqual(pin) { return true }
            return false
        case .undefined: return false
        default: throw .render("argument of type '\(pythonTypeName(container))' is not iterable")
        }
    }
}
