/// Why a chat template could not be parsed or rendered; every case carries the template line.
public enum ChatTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not a well-formed template (an unclosed tag, a stray `endfor`, ...).
    case syntax(String, line: Int)
    /// The template uses a Jinja construct this renderer does not implement; `construct`
    /// names it, e.g. "filter 'xyz'" or "statement 'macro'".
    case unsupported(construct: String, line: Int)
    /// The template called `raise_exception(message)`: the conversation breaks its rules.
    case raised(message: String, line: Int)
    /// Rendering failed as Jinja's would: an undefined value used, a type error, ...
    case render(String, line: Int)

    /// The template line the problem is on (1-based).
    public var line: Int {
        switch self {
        case .syntax(_, let line), .unsupported(_, let line), .raised(_, let line), .render(_, let line): return line
        }
    }

    /// One line saying what is wrong and where.
    public var description: String {
        switch self {
        case .syntax(let what, let line): return "chat template line \(line): syntax error: \(what)"
        case .unsupported(let construct, let line): return "chat template uses unsupported \(construct) (line \(line))"
        case .raised(let message, let line): return "chat template refused the conversation: \(message) (line \(line))"
        case .render(let what, let line): return "chat template line \(line): \(what)"
        }
    }
}
