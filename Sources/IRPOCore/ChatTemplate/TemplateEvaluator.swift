import Foundation

/// A failure inside a value operation, before the evaluator knows the line to report it on.
enum EvalFailure: Error {
    case render(String)
    case unsupported(String)

    func at(_ line: Int) -> ChatTemplateError {
        switch self {
        case .render(let m): return .render(m, line: line)
        case .unsupported(let c): return .unsupported(construct: c, line: line)
        }
    }
}

/// Runs a parsed template against its variables with Jinja's scoping: a `for` body gets a fresh
/// scope on every iteration (so `set` inside a loop never leaks out, which is why templates use
/// `namespace()`), while `if` bodies share the scope they are in.
struct TemplateEvaluator {
    /// The `loop.*` attributes a for loop provides.
    static let loopAttributes: Set<String> = ["index", "index0", "first", "last", "length", "revindex", "revindex0",
                                              "previtem", "nextitem"]

    /// Innermost scope last; the first holds the render variables and top-level `set`s.
    private var scopes: [[String: TemplateValue]]
    /// Namespaces are mutable and shared by every copy of the value, so they live here by index.
    private var namespaces: [TemplateDict] = []
    /// The rendered text so far.
    private(set) var output = ""
    /// What `strftime_now` reads as the current time.
    let now: Date
    let timeZone: TimeZone

    init(variables: [String: TemplateValue], now: Date, timeZone: TimeZone) {
        scopes = [variables]
        self.now = now
        self.timeZone = timeZone
    }

    // MARK: statements

    mutating func execute(_ nodes: [TemplateNode]) throws(ChatTemplateError) {
        for node in nodes { try execute(node) }
    }

    private mutating func execute(_ node: TemplateNode) throws(ChatTemplateError) {
        switch node {
        case .text(let s):
            output += s
        case .output(let e):
            // Python prints dict views as dict_items([...]); ours are plain tuples and lists.
            if case .methodCall(_, let m, _) = e.kind, ["items", "keys", "values"].contains(m) {
                throw .unsupported(construct: "printing the result of .\(m)() directly (add |list)", line: e.line)
            }
            let v = try evaluate(e)
            if case .object = v { throw .unsupported(construct: "printing a namespace or function", line: e.line) }
            output += pythonStr(v)
        case .ifChain(let branches, let otherwise):
            for branch in branches where pythonTruthy(try evaluate(branch.condition)) {
                try execute(branch.body)
                return
            }
            try execute(otherwise)
        case .forLoop(let targets, let iterable, let filter, let body, let otherwise, let line):
            try runLoop(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: line)
        case .set(let target, let e, let line):
            let value = try evaluate(e)
            try assign(value, to: target, line: line)
        case .generation(let body):
            try execute(body)
        }
    }

    private mutating func runLoop(targets: [String], iterable: TemplateExpr, filter: TemplateExpr?, body: [TemplateNode],
                                  otherwise: [TemplateNode], line: Int) throws(ChatTemplateError) {
        var items = try elements(of: try evaluate(iterable), line: line)
        if let filter {
            var kept: [TemplateValue] = []
            for item in items {
                scopes.append(try bind(targets, to: item, line: line))
                let keep = pythonTruthy(try evaluate(filter))
                scopes.removeLast()
                if keep { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            scopes.append([:])
            defer { scopes.removeLast() }
            try execute(otherwise)
            return
        }
        for (n, item) in items.enumerated() {
            var scope = try bind(targets, to: item, line: line)
            var loop = TemplateDict([
                ("index", .int(n + 1)), ("index0", .int(n)), ("first", .bool(n == 0)), ("last", .bool(n == items.count - 1)),
                ("length", .int(items.count)), ("revindex", .int(items.count - n)), ("revindex0", .int(items.count - n - 1)),
            ])
            if n > 0 { loop["previtem"] = items[n - 1] }
            if n + 1 < items.count { loop["nextitem"] = items[n + 1] }
            scope["loop"] = .dict(loop)
            scopes.append(scope)
            defer { scopes.removeLast() }
            try execute(body)
        }
    }

    /// The names of a for loop or set bound to one value, unpacking `a, b` as Python does.
    private func bind(_ names: [String], to value: TemplateValue, line: Int) throws(ChatTemplateError) -> [String: TemplateValue] {
        if names.count == 1 { return [names[0]: value] }
        let parts = try elements(of: value, line: line)
        guard parts.count == names.count else {
            if parts.count > names.count { throw .render("too many values to unpack (expected \(names.count))", line: line) }
            throw .render("not enough values to unpack (expected \(names.count), got \(parts.count))", line: line)
        }
        return Dictionary(uniqueKeysWithValues: zip(names, parts))
    }

    private mutating func assign(_ value: TemplateValue, to target: SetTarget, line: Int) throws(ChatTemplateError) {
        switch target {
        case .name(let name):
            scopes[scopes.count - 1][name] = value
        case .names(let names):
            for (k, v) in try bind(names, to: value, line: line) { scopes[scopes.count - 1][k] = v }
        case .namespaceAttribute(let name, let attribute):
            guard case .object(let o) = lookup(name), case .namespace(let id) = o.kind else {
                throw .render("cannot assign attribute on non-namespace object '\(name)'", line: line)
            }
            // transformers' sandbox refuses these so templates cannot reach interpreter internals.
            guard !attribute.hasPrefix("_") else {
                throw .render("chat templates cannot store underscore-prefixed attributes on a namespace ('\(attribute)')", line: line)
            }
            namespaces[id][attribute] = value
        }
    }

    // MARK: expressions

    private func lookup(_ name: String) -> TemplateValue {
        for scope in scopes.reversed() {
            if let v = scope[name] { return v }
        }
        if let f = TemplateFunction(rawValue: name) { return .object(TemplateObject(kind: .function(f))) }
        return .undefined
    }

    mutating func evaluate(_ e: TemplateExpr) throws(ChatTemplateError) -> TemplateValue {
        do {
            return try evaluateOrFail(e)
        } catch let f as EvalFailure {
            throw f.at(e.line)
        } catch let c as ChatTemplateError {
            throw c
        } catch {
            throw .render("\(error)", line: e.line)
        }
    }

    private mutating func evaluateOrFail(_ e: TemplateExpr) throws -> TemplateValue {
        switch e.kind {
        case .literal(let v):
            return v
        case .name(let n):
            return lookup(n)
        case .list(let items), .tuple(let items):
            var values: [TemplateValue] = []
            for item in items { values.append(try evaluate(item)) }
            if case .tuple = e.kind { return .tuple(values) }
            return .list(values)
        case .dict(let pairs):
            var d = TemplateDict()
            for pair in pairs {
                guard case .string(let key) = try evaluate(pair.key) else {
                    throw EvalFailure.unsupported("dict literal with a key that is not a string")
                }
                d[key] = try evaluate(pair.value)
            }
            return .dict(d)
        case .attribute(let base, let name):
            let object = try defined(base)
            return try TemplateOperators.attribute(object, name, namespaces: namespaces)
        case .item(let base, let key):
            let object = try defined(base)
            return try TemplateOperators.item(object, try evaluate(key), namespaces: namespaces)
        case .slice(let base, let start, let stop, let step):
            let object = try defined(base)
            return try TemplateOperators.slice(object, start: try start.map { x throws(ChatTemplateError) in try evaluate(x) },
                                               stop: try stop.map { x throws(ChatTemplateError) in try evaluate(x) },
                                               step: try step.map { x throws(ChatTemplateError) in try evaluate(x) })
        case .not(let x):
            return .bool(!pythonTruthy(try evaluate(x)))
        case .negate(let x):
            return try TemplateOperators.negate(try defined(x))
        case .plus(let x):
            let v = try defined(x)
            guard PythonNumber(v) != nil else { throw EvalFailure.render("bad operand type for unary +: '\(pythonTypeName(v))'") }
            if case .bool(let b) = v { return .int(b ? 1 : 0) }
            return v
        case .binary(let op, let a, let b):
            if op == .concat { return .string(pythonStr(try evaluate(a)) + pythonStr(try evaluate(b))) }
            return try TemplateOperators.binary(op, try defined(a), try defined(b))
        case .and(let a, let b):
            let left = try evaluate(a)
            return pythonTruthy(left) ? try evaluate(b) : left
        case .or(let a, let b):
            let left = try evaluate(a)
            return pythonTruthy(left) ? left : try evaluate(b)
        case .compare(let first, let rest):
            var left = try evaluate(first)
            for (op, rightExpr) in rest {
                let right = try evaluate(rightExpr)
                if !(try TemplateOperators.compare(op, left, right, describing: (first, rightExpr))) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let condition, let then, let otherwise):
            if pythonTruthy(try evaluate(condition)) { return try evaluate(then) }
            return try otherwise.map { x throws(ChatTemplateError) in try evaluate(x) } ?? .undefined
        case .filter(let base, let name, let arguments):
            let value = try evaluate(base)
            let args = try evaluate(arguments)
            return try TemplateFilters.apply(name, to: value, args, namespaces: namespaces)
        case .test(let base, let name, let arguments, let negated):
            let value = try evaluate(base)
            let args = try evaluate(arguments)
            let result = try TemplateFilters.test(name, value, args)
            return .bool(result != negated)
        case .call(let function, let arguments):
            guard case .object(let o) = lookup(function), case .function(let f) = o.kind else {
                throw EvalFailure.render("'\(function)' is not callable")
            }
            return try call(f, try evaluate(arguments), line: e.line)
        case .methodCall(let base, let method, let arguments):
            let object = try defined(base)
            return try TemplateMethods.call(method, on: object, try evaluate(arguments))
        }
    }

    /// The value of `e`, which must be defined: Jinja's Undefined fails on attribute access,
    /// subscripts, arithmetic and calls.
    private mutating func defined(_ e: TemplateExpr) throws -> TemplateValue {
        let v = try evaluate(e)
        if case .undefined = v { throw EvalFailure.render("'\(Self.describe(e))' is undefined") }
        return v
    }

    /// The source-like text of an expression, for naming what is undefined.
    static func describe(_ e: TemplateExpr) -> String {
        switch e.kind {
        case .name(let n): return n
        case .attribute(let base, let a): return describe(base) + "." + a
        case .item(let base, let key):
            if case .literal(let k) = key.kind { return describe(base) + "[" + pythonRepr(k) + "]" }
            return describe(base) + "[...]"
        case .filter(let base, let name, _): return describe(base) + "|" + name
        case .methodCall(let base, let m, _): return describe(base) + "." + m + "()"
        case .call(let f, _): return f + "()"
        default: return "expression"
        }
    }

    private mutating func evaluate(_ arguments: TemplateArguments) throws(ChatTemplateError) -> EvaluatedArguments {
        var out = EvaluatedArguments()
        for p in arguments.positional { out.positional.append(try evaluate(p)) }
        for k in arguments.keyword { out.keyword.append((k.name, try evaluate(k.value))) }
        return out
    }

    private mutating func call(_ f: TemplateFunction, _ args: EvaluatedArguments, line: Int) throws -> TemplateValue {
        switch f {
        case .raiseException:
            let message = try args.bind(["message"], defaults: [nil], in: "raise_exception()")[0]
            throw ChatTemplateError.raised(message: pythonStr(message), line: line)
        case .strftimeNow:
            let format = try args.bind(["format"], defaults: [nil], in: "strftime_now()")[0]
            guard case .string(let text) = format else {
                throw EvalFailure.render("strftime_now() argument must be str, not \(pythonTypeName(format))")
            }
            switch Strftime.format(text, date: now, timeZone: timeZone) {
            case .success(let s): return .string(s)
            case .failure(let u): throw EvalFailure.unsupported("strftime directive '\(u.directive)'")
            }
        case .namespace:
            var d = TemplateDict()
            guard args.positional.count <= 1 else { throw EvalFailure.render("namespace() takes at most one positional argument") }
            if let first = args.positional.first {
                guard case .dict(let initial) = first else { throw EvalFailure.render("namespace() argument must be a dict") }
                d = initial
            }
            for (k, v) in args.keyword { d[k] = v }
            if let bad = d.keys.first(where: { $0.hasPrefix("_") }) {
                throw EvalFailure.render("chat templates cannot store underscore-prefixed attributes on a namespace ('\(bad)')")
            }
            namespaces.append(d)
            return .object(TemplateObject(kind: .namespace(namespaces.count - 1)))
        }
    }
}

/// `elements(of:)` with its failure reported on `line`.
private func elements(of v: TemplateValue, line: Int) throws(ChatTemplateError) -> [TemplateValue] {
    do { return try elements(of: v) } catch { throw error.at(line) }
}

/// Call arguments once evaluated.
struct EvaluatedArguments {
    var positional: [TemplateValue] = []
    var keyword: [(String, TemplateValue)] = []

    /// The arguments matched to Python parameters in order; a nil default marks a required one.
    func bind(_ names: [String], defaults: [TemplateValue?], in what: String) throws(EvalFailure) -> [TemplateValue] {
        guard positional.count <= names.count else {
            throw .render("\(what) takes at most \(names.count) argument\(names.count == 1 ? "" : "s") (\(positional.count) given)")
        }
        var values: [TemplateValue?] = positional.map { $0 } + Array(repeating: nil, count: names.count - positional.count)
        for (k, v) in keyword {
            guard let i = names.firstIndex(of: k) else { throw .render("\(what) got an unexpected keyword argument '\(k)'") }
            guard values[i] == nil else { throw .render("\(what) got multiple values for argument '\(k)'") }
            values[i] = v
        }
        var out: [TemplateValue] = []
        for (i, v) in values.enumerated() {
            guard let value = v ?? defaults[i] else { throw .render("\(what) missing required argument '\(names[i])'") }
            out.append(value)
        }
        return out
    }
}

/// The elements a for loop, `list` or `join` walks: a list's items, a string's characters
/// (code points, as Python's), a dict's keys; undefined walks as empty.
func elements(of v: TemplateValue) throws(EvalFailure) -> [TemplateValue] {
    switch v {
    case .list(let l), .tuple(let l): return l
    case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
    case .dict(let d): return d.keys.map { .string($0) }
    case .undefined: return []
    default: throw .render("'\(pythonTypeName(v))' object is not iterable")
    }
}
