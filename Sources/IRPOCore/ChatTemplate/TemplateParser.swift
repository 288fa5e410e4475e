/// Builds the statement tree from the lexer's pieces; statements outside the supported subset
/// are refused by name here, before anything renders.
struct TemplateParser {
    private let pieces: [TemplatePiece]
    private var index = 0

    /// The statements of a whole template.
    static func parse(_ source: String) throws(ChatTemplateError) -> [TemplateNode] {
        var parser = TemplateParser(pieces: try TemplateLexer.pieces(of: source))
        let (nodes, end) = try parser.body(until: [])
        if let end { throw .syntax("unexpected '\(end.keyword)'", line: end.line) }
        return nodes
    }

    private init(pieces: [TemplatePiece]) { self.pieces = pieces }

    /// The statement tag that ended a body: its keyword, its tokens after the keyword, its line.
    private struct EndTag {
        var keyword: String
        var tokens: ArraySlice<TemplateToken>
        var line: Int
    }

    private static let endKeywords: Set<String> = ["endfor", "endif", "elif", "else", "endgeneration", "endset", "endmacro"]

    /// Statements up to one whose keyword is in `ends` (returned) or the end of the template (nil).
    private mutating func body(until ends: Set<String>) throws(ChatTemplateError) -> ([TemplateNode], EndTag?) {
        var nodes: [TemplateNode] = []
        while index < pieces.count {
            let piece = pieces[index]
            index += 1
            switch piece {
            case .text(let s):
                nodes.append(.text(s))
            case .output(let tokens, let line):
                var p = ExpressionParser(tokens: tokens, line: line)
                let e = try p.expression(allowTuple: true)
                try p.expectEnd()
                nodes.append(.output(e))
            case .statement(let tokens, let line):
                guard let first = tokens.first, case .name(let keyword) = first.kind else {
                    throw .syntax("a statement tag must start with a keyword", line: line)
                }
                let rest = tokens.dropFirst()
                if ends.contains(keyword) { return (nodes, EndTag(keyword: keyword, tokens: rest, line: line)) }
                switch keyword {
                case "for": nodes.append(try forLoop(rest, line: line))
                case "if": nodes.append(try ifChain(rest, line: line))
                case "set": nodes.append(try setStatement(rest, line: line))
                case "generation":
                    try expectNothing(rest, after: "generation", line: line)
                    let (inner, _) = try closedBody(until: ["endgeneration"], opener: "generation", line: line)
                    nodes.append(.generation(inner))
                default:
                    if Self.endKeywords.contains(keyword) { throw .syntax("unexpected '\(keyword)'", line: line) }
                    throw .unsupported(construct: "statement '\(keyword)'", line: line)
                }
            }
        }
        return (nodes, nil)
    }

    /// A body that must end with one of `ends`; a template that ends first is an error naming the opener.
    private mutating func closedBody(until ends: Set<String>, opener: String, line: Int) throws(ChatTemplateError) -> ([TemplateNode], EndTag) {
        let (nodes, end) = try body(until: ends)
        guard let end else {
            let expected = ends.sorted().map { "'\($0)'" }.joined(separator: " or ")
            throw .syntax("'\(opener)' is never closed: expected \(expected)", line: line)
        }
        return (nodes, end)
    }

    private func expectNothing(_ tokens: ArraySlice<TemplateToken>, after keyword: String, line: Int) throws(ChatTemplateError) {
        if let extra = tokens.first { throw .syntax("unexpected \(describe(extra)) after '\(keyword)'", line: extra.line) }
    }

    private mutating func forLoop(_ tokens: ArraySlice<TemplateToken>, line: Int) throws(ChatTemplateError) -> TemplateNode {
        var p = ExpressionParser(tokens: Array(tokens), line: line)
        let targets = try p.assignmentNames(allowParentheses: true)
        try p.expectName("in")
        let iterable = try p.expression(conditional: false, allowTuple: true)
        var filter: TemplateExpr?
        if p.skipName("if") { filter = try p.expression() }
        if p.atName("recursive") { throw .unsupported(construct: "recursive for loop", line: line) }
        try p.expectEnd()
        var (body, end) = try closedBody(until: ["endfor", "else"], opener: "for", line: line)
        var otherwise: [TemplateNode] = []
        if end.keyword == "else" {
            try expectNothing(end.tokens, after: "else", line: end.line)
            (otherwise, end) = try closedBody(until: ["endfor"], opener: "for", line: line)
        }
        try expectNothing(end.tokens, after: end.keyword, line: end.line)
        return .forLoop(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: line)
    }

    private mutating func ifChain(_ tokens: ArraySlice<TemplateToken>, line: Int) throws(ChatTemplateError) -> TemplateNode {
        var branches: [(condition: TemplateExpr, body: [TemplateNode])] = []
        var conditionTokens = tokens
        var conditionLine = line
        while true {
            var p = ExpressionParser(tokens: Array(conditionTokens), line: conditionLine)
            let condition = try p.expression(conditional: false, allowTuple: true)
            try p.expectEnd()
            let (body, end) = try closedBody(until: ["elif", "else", "endif"], opener: "if", line: line)
            branches.append((condition, body))
            switch end.keyword {
            case "elif":
                conditionTokens = end.tokens
                conditionLine = end.line
            case "else":
                try expectNothing(end.tokens, after: "else", line: end.line)
                let (otherwise, last) = try closedBody(until: ["endif"], opener: "if", line: line)
                try expectNothing(last.tokens, after: "endif", line: last.line)
                return .ifChain(branches, otherwise: otherwise)
            default:
                try expectNothing(end.tokens, after: "endif", line: end.line)
                return .ifChain(branches, otherwise: [])
            }
        }
    }

    private mutating func setStatement(_ tokens: ArraySlice<TemplateToken>, line: Int) throws(ChatTemplateError) -> TemplateNode {
        var p = ExpressionParser(tokens: Array(tokens), line: line)
        let names = try p.assignmentNames(allowParentheses: false)
        var target = names.count == 1 ? SetTarget.name(names[0]) : .names(names)
        if names.count == 1, p.skipOp(".") {
            target = .namespaceAttribute(names[0], try p.name())
        }
        guard p.skipOp("=") else {
            if p.atEnd { throw .unsupported(construct: "block set ('set' without '=')", line: line) }
            throw .syntax("expected '=' in 'set'", line: line)
        }
        let value = try p.expression(allowTuple: true)
        try p.expectEnd()
        return .set(target, value, line: line)
    }
}

private func describe(_ token: TemplateToken) -> String {
    switch token.kind {
    case .name(let s): return "'\(s)'"
    case .op(let s): return "'\(s)'"
    case .string: return "string literal"
    case .int(let i): return "number \(i)"
    case .double(let d): return "number \(d)"
    }
}

/// Parses the tokens of one tag with Jinja's precedence, lowest first: `x if c else y`, `or`,
/// `and`, `not`, comparisons (`in`, `not in`), `+ -`, `~`, `* / // %`, `**`, unary `- +`,
/// then postfix `.attr`, `[...]`, calls, and `|filter` and `is test`.
struct ExpressionParser {
    private let tokens: [TemplateToken]
    private var i = 0
    private let line: Int

    init(tokens: [TemplateToken], line: Int) {
        self.tokens = tokens
        self.line = line
    }

    var atEnd: Bool { i >= tokens.count }
    private var current: TemplateToken? { i < tokens.count ? tokens[i] : nil }
    private var currentLine: Int { current?.line ?? tokens.last?.line ?? line }

    func atOp(_ s: String) -> Bool { current?.isOp(s) ?? false }
    func atName(_ s: String) -> Bool { current?.isName(s) ?? false }

    mutating func skipOp(_ s: String) -> Bool {
        guard atOp(s) else { return false }
        i += 1
        return true
    }

    mutating func skipName(_ s: String) -> Bool {
        guard atName(s) else { return false }
        i += 1
        return true
    }

    private func unexpected() -> ChatTemplateError {
        guard let t = current else { return .syntax("unexpected end of expression", line: currentLine) }
        return .syntax("unexpected \(describe(t))", line: t.line)
    }

    func expectEnd() throws(ChatTemplateError) {
        if !atEnd { throw unexpected() }
    }

    mutating func expectOp(_ s: String) throws(ChatTemplateError) {
        guard skipOp(s) else {
            if let t = current { throw .syntax("expected '\(s)', found \(describe(t))", line: t.line) }
            throw .syntax("expected '\(s)'", line: currentLine)
        }
    }

    mutating func expectName(_ s: String) throws(ChatTemplateError) {
        guard skipName(s) else {
            if let t = current { throw .syntax("expected '\(s)', found \(describe(t))", line: t.line) }
            throw .syntax("expected '\(s)'", line: currentLine)
        }
    }

    mutating func name() throws(ChatTemplateError) -> String {
        guard let t = current, case .name(let s) = t.kind else {
            if let t = current { throw .syntax("expected a name, found \(describe(t))", line: t.line) }
            throw .syntax("expected a name", line: currentLine)
        }
        i += 1
        return s
    }

    /// `a`, `a, b` or (for loops) `(a, b)`: the names a for loop or set binds.
    mutating func assignmentNames(allowParentheses: Bool) throws(ChatTemplateError) -> [String] {
        let parenthesized = allowParentheses && skipOp("(")
        var names = [try name()]
        while skipOp(",") {
            if atName("in") || atOp("=") || atOp(")") { break }
            names.append(try name())
        }
        if parenthesized { try expectOp(")") }
        return names
    }

    /// One expression; with `allowTuple`, where Jinja reads a tuple without parentheses
    /// (`{{ a, b }}`, `set x = a, b`, `for x in a, b`), `a, b` and `a,` are tuples.
    mutating func expression(conditional: Bool = true, allowTuple: Bool = false) throws(ChatTemplateError) -> TemplateExpr {
        if !allowTuple { return conditional ? try conditionalExpression() : try or() }
        return try tuple(conditional: conditional, parenthesized: false)
    }

    /// Items separated by commas, ended by the end of the tag, `)`, or a name a statement
    /// continues with (`if`, `recursive`); one item without a comma is just that item.
    private mutating func tuple(conditional: Bool, parenthesized: Bool) throws(ChatTemplateError) -> TemplateExpr {
        let startLine = currentLine
        var items: [TemplateExpr] = []
        var sawComma = false
        while true {
            if !items.isEmpty {
                guard skipOp(",") else { break }
                sawComma = true
            }
            if atEnd || atOp(")") || atName("if") || atName("recursive") { break }
            items.append(conditional ? try conditionalExpression() : try or())
        }
        if !sawComma {
            if items.count == 1 { return items[0] }
            if !parenthesized { throw unexpected() }
        }
        return TemplateExpr(kind: .tuple(items), line: items.first?.line ?? startLine)
    }

    private mutating func conditionalExpression() throws(ChatTemplateError) -> TemplateExpr {
        var e = try or()
        while skipName("if") {
            let condition = try or()
            let otherwise = skipName("else") ? try conditionalExpression() : nil
            e = TemplateExpr(kind: .conditional(condition: condition, then: e, otherwise: otherwise), line: e.line)
        }
        return e
    }

    private mutating func or() throws(ChatTemplateError) -> TemplateExpr {
        var e = try and()
        while skipName("or") { e = TemplateExpr(kind: .or(e, try and()), line: e.line) }
        return e
    }

    private mutating func and() throws(ChatTemplateError) -> TemplateExpr {
        var e = try not()
        while skipName("and") { e = TemplateExpr(kind: .and(e, try not()), line: e.line) }
        return e
    }

    private mutating func not() throws(ChatTemplateError) -> TemplateExpr {
        if let t = current, t.isName("not") {
            i += 1
            return TemplateExpr(kind: .not(try not()), line: t.line)
        }
        return try compare()
    }

    private mutating func compare() throws(ChatTemplateError) -> TemplateExpr {
        let first = try additive()
        var rest: [(CompareOperator, TemplateExpr)] = []
        while let t = current {
            let op: CompareOperator
            if case .op(let s) = t.kind, let o = CompareOperator(rawValue: s), o != .in, o != .notIn {
                op = o
                i += 1
            } else if t.isName("in") {
                op = .in
                i += 1
            } else if t.isName("not"), i + 1 < tokens.count, tokens[i + 1].isName("in") {
                op = .notIn
                i += 2
            } else {
                break
            }
            rest.append((op, try additive()))
        }
        return rest.isEmpty ? first : TemplateExpr(kind: .compare(first, rest), line: first.line)
    }

    private mutating func additive() throws(ChatTemplateError) -> TemplateExpr {
        var e = try concat()
        while let t = current, t.isOp("+") || t.isOp("-") {
            i += 1
            e = TemplateExpr(kind: .binary(t.isOp("+") ? .add : .subtract, e, try concat()), line: e.line)
        }
        return e
    }

    private mutating func concat() throws(ChatTemplateError) -> TemplateExpr {
        var e = try multiplicative()
        while skipOp("~") { e = TemplateExpr(kind: .binary(.concat, e, try multiplicative()), line: e.line) }
        return e
    }

    private mutating func multiplicative() throws(ChatTemplateError) -> TemplateExpr {
        var e = try power()
        while let t = current, case .op(let s) = t.kind, let op = BinaryOperator(rawValue: s),
              [.multiply, .divide, .floorDivide, .modulo].contains(op) {
            i += 1
            e = TemplateExpr(kind: .binary(op, e, try power()), line: e.line)
        }
        return e
    }

    private mutating func power() throws(ChatTemplateError) -> TemplateExpr {
        var e = try unary(withFilters: true)
        while skipOp("**") { e = TemplateExpr(kind: .binary(.power, e, try unary(withFilters: true)), line: e.line) }
        return e
    }

    /// Jinja applies postfix operators and filters to the result of a unary minus: `-x|abs`
    /// is abs(-x).
    private mutating func unary(withFilters: Bool) throws(ChatTemplateError) -> TemplateExpr {
        var e: TemplateExpr
        if let t = current, t.isOp("-") {
            i += 1
            e = TemplateExpr(kind: .negate(try unary(withFilters: false)), line: t.line)
        } else if let t = current, t.isOp("+") {
            i += 1
            e = TemplateExpr(kind: .plus(try unary(withFilters: false)), line: t.line)
        } else {
            e = try primary()
        }
        e = try postfix(e)
        return withFilters ? try filtersAndTests(e) : e
    }

    private mutating func primary() throws(ChatTemplateError) -> TemplateExpr {
        guard let t = current else { throw unexpected() }
        i += 1
        switch t.kind {
        case .name(let s):
            switch s {
            case "true", "True": return TemplateExpr(kind: .literal(.bool(true)), line: t.line)
            case "false", "False": return TemplateExpr(kind: .literal(.bool(false)), line: t.line)
            case "none", "None": return TemplateExpr(kind: .literal(.none), line: t.line)
            default: return TemplateExpr(kind: .name(s), line: t.line)
            }
        case .string(var s):
            // Adjacent literals join, as in Python.
            while let next = current, case .string(let more) = next.kind {
                s += more
                i += 1
            }
            return TemplateExpr(kind: .literal(.string(s)), line: t.line)
        case .int(let v): return TemplateExpr(kind: .literal(.int(v)), line: t.line)
        case .double(let v): return TemplateExpr(kind: .literal(.double(v)), line: t.line)
        case .op("("):
            let e = try tuple(conditional: true, parenthesized: true)
            try expectOp(")")
            return e
        case .op("["):
            var items: [TemplateExpr] = []
            while !skipOp("]") {
                items.append(try expression())
                if !skipOp(",") {
                    try expectOp("]")
                    break
                }
            }
            return TemplateExpr(kind: .list(items), line: t.line)
        case .op("{"):
            var pairs: [(key: TemplateExpr, value: TemplateExpr)] = []
            while !skipOp("}") {
                let key = try expression()
                try expectOp(":")
                pairs.append((key, try expression()))
                if !skipOp(",") {
                    try expectOp("}")
                    break
                }
            }
            return TemplateExpr(kind: .dict(pairs), line: t.line)
        default:
            i -= 1
            throw unexpected()
        }
    }

    private mutating func postfix(_ base: TemplateExpr) throws(ChatTemplateError) -> TemplateExpr {
        var e = base
        while let t = current {
            if t.isOp(".") {
                i += 1
                guard let next = current else { throw unexpected() }
                i += 1
                switch next.kind {
                case .name(let attribute):
                    if case .name("loop") = e.kind, !TemplateEvaluator.loopAttributes.contains(attribute) {
                        throw .unsupported(construct: "loop attribute '\(attribute)'", line: next.line)
                    }
                    e = TemplateExpr(kind: .attribute(e, attribute), line: t.line)
                case .int(let index):
                    e = TemplateExpr(kind: .item(e, TemplateExpr(kind: .literal(.int(index)), line: next.line)), line: t.line)
                default:
                    i -= 1
                    throw unexpected()
                }
            } else if t.isOp("[") {
                i += 1
                e = try subscription(e, line: t.line)
            } else if t.isOp("(") {
                e = try call(e)
            } else {
                break
            }
        }
        return e
    }

    private mutating func subscription(_ base: TemplateExpr, line: Int) throws(ChatTemplateError) -> TemplateExpr {
        var start: TemplateExpr?
        if !atOp(":") {
            start = try expression()
            if atOp(",") { throw .unsupported(construct: "tuple subscript", line: currentLine) }
            if skipOp("]") { return TemplateExpr(kind: .item(base, start!), line: line) }
        }
        try expectOp(":")
        var stop: TemplateExpr?
        var step: TemplateExpr?
        if !atOp("]") && !atOp(":") { stop = try expression() }
        if skipOp(":") && !atOp("]") { step = try expression() }
        try expectOp("]")
        return TemplateExpr(kind: .slice(base, start: start, stop: stop, step: step), line: line)
    }

    /// A call: a global function by name, or a method on a value (`x.strip()`).
    private mutating func call(_ callee: TemplateExpr) throws(ChatTemplateError) -> TemplateExpr {
        let callLine = current?.line ?? line
        let arguments = try callArguments()
        switch callee.kind {
        case .name(let function):
            guard TemplateFunction(rawValue: function) != nil else {
                throw .unsupported(construct: "function '\(function)'", line: callLine)
            }
            return TemplateExpr(kind: .call(function: function, arguments: arguments), line: callee.line)
        case .attribute(let object, let method):
            guard TemplateMethods.supported.contains(method) else {
                throw .unsupported(construct: "method '\(method)()'", line: callLine)
            }
            return TemplateExpr(kind: .methodCall(object, method: method, arguments: arguments), line: callee.line)
        default:
            throw .unsupported(construct: "call of a computed value", line: callLine)
        }
    }

    private mutating func callArguments() throws(ChatTemplateError) -> TemplateArguments {
        try expectOp("(")
        var arguments = TemplateArguments()
        while !skipOp(")") {
            if atOp("*") || atOp("**") { throw .unsupported(construct: "*args or **kwargs in a call", line: currentLine) }
            if let t = current, case .name(let keyword) = t.kind, i + 1 < tokens.count, tokens[i + 1].isOp("=") {
                i += 2
                arguments.keyword.append((keyword, try expression()))
            } else {
                if !arguments.keyword.isEmpty { throw .syntax("positional argument after a keyword argument", line: currentLine) }
                arguments.positional.append(try expression())
            }
            if !skipOp(",") {
                try expectOp(")")
                break
            }
        }
        return arguments
    }

    private mutating func dottedName() throws(ChatTemplateError) -> String {
        var n = try name()
        while skipOp(".") { n += "." + (try name()) }
        return n
    }

    private mutating func filtersAndTests(_ base: TemplateExpr) throws(ChatTemplateError) -> TemplateExpr {
        var e = base
        while let t = current {
            if t.isOp("|") {
                i += 1
                let nameLine = currentLine
                let filter = try dottedName()
                guard TemplateFilters.supported.contains(filter) else {
                    throw .unsupported(construct: "filter '\(filter)'", line: nameLine)
                }
                let arguments = atOp("(") ? try callArguments() : .none
                e = TemplateExpr(kind: .filter(e, name: filter, arguments: arguments), line: t.line)
            } else if t.isName("is") {
                i += 1
                let negated = skipName("not")
                let nameLine = currentLine
                let test = try dottedName()
                guard TemplateFilters.supportedTests.contains(test) else {
                    throw .unsupported(construct: "test '\(test)'", line: nameLine)
                }
                var arguments = TemplateArguments.none
                if atOp("(") {
                    arguments = try callArguments()
                } else if let next = current, startsBareTestArgument(next) {
                    if next.isName("is") { throw .syntax("tests cannot be chained with 'is'", line: next.line) }
                    arguments.positional = [try postfix(try primary())]
                }
                e = TemplateExpr(kind: .test(e, name: test, arguments: arguments, negated: negated), line: t.line)
            } else if t.isOp("(") {
                throw .unsupported(construct: "call of a filter's result", line: t.line)
            } else {
                break
            }
        }
        return e
    }

    /// Jinja reads `x is divisibleby 3` as a test with one argument; `else`, `or` and `and` end it.
    private func startsBareTestArgument(_ t: TemplateToken) -> Bool {
        switch t.kind {
        case .name(let s): return !["else", "or", "and"].contains(s)
        case .string, .int, .double: return true
        case .op(let s): return s == "(" || s == "[" || s == "{"
        }
    }
}
