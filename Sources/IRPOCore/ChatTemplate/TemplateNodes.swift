/// An expression with the template line it starts on.
struct TemplateExpr: Sendable {
    indirect enum Kind: Sendable {
        case literal(TemplateValue)
        case name(String)
        case list([TemplateExpr])
        case tuple([TemplateExpr])
        case dict([(key: TemplateExpr, value: TemplateExpr)])
        /// `a.b`: a dict's key, else undefined.
        case attribute(TemplateExpr, String)
        /// `a[b]`.
        case item(TemplateExpr, TemplateExpr)
        /// `a[start:stop:step]`, each part optional.
        case slice(TemplateExpr, start: TemplateExpr?, stop: TemplateExpr?, step: TemplateExpr?)
        case not(TemplateExpr)
        case negate(TemplateExpr)
        case plus(TemplateExpr)
        case binary(BinaryOperator, TemplateExpr, TemplateExpr)
        /// Python's `and`/`or`, which yield an operand, not a bool.
        case and(TemplateExpr, TemplateExpr)
        case or(TemplateExpr, TemplateExpr)
        /// `a < b <= c`: chained comparisons, each operand evaluated once.
        case compare(TemplateExpr, [(CompareOperator, TemplateExpr)])
        /// `a if condition else b`; without `else` the value is undefined.
        case conditional(condition: TemplateExpr, then: TemplateExpr, otherwise: TemplateExpr?)
        case filter(TemplateExpr, name: String, arguments: TemplateArguments)
        case test(TemplateExpr, name: String, arguments: TemplateArguments, negated: Bool)
        /// `f(...)` on a global function name.
        case call(function: String, arguments: TemplateArguments)
        /// `a.f(...)`: a str or dict method.
        case methodCall(TemplateExpr, method: String, arguments: TemplateArguments)
    }

    var kind: Kind
    var line: Int
}

/// The arguments of a call, filter or test: positional, then keyword in the order written.
struct TemplateArguments: Sendable {
    var positional: [TemplateExpr] = []
    var keyword: [(name: String, value: TemplateExpr)] = []

    static let none = TemplateArguments()
}

enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
    /// `~`: both sides as strings, joined.
    case concat = "~"
}

enum CompareOperator: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case `in` = "in", notIn = "not in"
}

/// What a `set` assigns to.
enum SetTarget: Sendable {
    case name(String)
    /// `a, b = ...`: one name per element of the value.
    case names([String])
    /// `ns.attribute = ...` on a namespace().
    case namespaceAttribute(String, String)
}

/// A statement of the template body.
indirect enum TemplateNode: Sendable {
    case text(String)
    /// `{{ expr }}`.
    case output(TemplateExpr)
    /// `if`/`elif` branches in order, then the optional `else` body.
    case ifChain([(condition: TemplateExpr, body: [TemplateNode])], otherwise: [TemplateNode])
    /// `for targets in iterable [if filter]`, with the `else` body run when nothing was iterated.
    case forLoop(targets: [String], iterable: TemplateExpr, filter: TemplateExpr?, body: [TemplateNode],
                 otherwise: [TemplateNode], line: Int)
    case set(SetTarget, TemplateExpr, line: Int)
    /// transformers' `{% generation %}` block, which renders its body unchanged (it only marks
    /// assistant text for masks this renderer does not compute).
    case generation([TemplateNode])
}
