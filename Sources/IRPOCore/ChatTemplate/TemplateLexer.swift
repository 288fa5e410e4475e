/// One token inside a `{{ }}` or `{% %}` tag.
struct TemplateToken: Equatable {
    enum Kind: Equatable {
        case name(String)
        case string(String)
        case int(Int)
        case double(Double)
        /// An operator or punctuation: `+`, `//`, `==`, `(`, `|`, `.`, ...
        case op(String)
    }

    var kind: Kind
    var line: Int

    func isOp(_ s: String) -> Bool { kind == .op(s) }
    func isName(_ s: String) -> Bool { kind == .name(s) }
}

/// What the lexer cuts a template into: literal text with the whitespace rules already applied,
/// and the tokens of each tag.
enum TemplatePiece: Equatable {
    case text(String)
    /// The tokens between `{{` and `}}`.
    case output([TemplateToken], line: Int)
    /// The tokens between `{%` and `%}`.
    case statement([TemplateToken], line: Int)
}

/// Splits template source into text and tags the way transformers' Jinja environment does,
/// with `trim_blocks` (the newline right after a block or comment tag is dropped) and
/// `lstrip_blocks` (spaces and tabs from a line's start up to a block or comment tag are
/// dropped), `-` stripping all whitespace on its side of a tag and `+` turning either rule off.
struct TemplateLexer {
    private let src: [Unicode.Scalar]
    private var pos = 0
    private var line = 1
    /// Whether the last piece of syntax consumed ended with a newline: lstrip_blocks applies to a
    /// tag on the first line of text only then, since the text before it holds no newline.
    private var lineStarting = true
    private var pieces: [TemplatePiece] = []

    /// Cuts `source` into pieces; throws on an unclosed tag, a bad literal or a stray character.
    static func pieces(of source: String) throws(ChatTemplateError) -> [TemplatePiece] {
        var lexer = TemplateLexer(normalizing: source)
        try lexer.run()
        return lexer.pieces
    }

    /// Jinja reads every line break as "\n" and drops one newline at the very end.
    private init(normalizing source: String) {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(source.unicodeScalars.count)
        var previousCR = false
        for c in source.unicodeScalars {
            if c == "\r" { out.append("\n"); previousCR = true; continue }
            if c == "\n" && previousCR { previousCR = false; continue }
            previousCR = false
            out.append(c)
        }
        if out.last == "\n" { out.removeLast() }
        src = out
    }

    private enum TagKind { case output, statement, comment }

    private mutating func run() throws(ChatTemplateError) {
        while pos < src.count {
            guard let (start, kind) = nextTag(from: pos) else {
                emitText(Array(src[pos...]))
                advance(to: src.count)
                return
            }
            var text = Array(src[pos..<start])
            let signIndex = start + 2
            let sign: Unicode.Scalar? = signIndex < src.count && (src[signIndex] == "-" || src[signIndex] == "+") ? src[signIndex] : nil
            if sign == "-" {
                while let last = text.last, pythonIsSpace(last) { text.removeLast() }
            } else if sign != "+" && kind != .output {
                let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
                if (lineStart > 0 || lineStarting) && lineStart < text.count && text[lineStart...].allSatisfy(pythonIsSpace) {
                    text.removeSubrange(lineStart...)
                }
            }
            emitText(text)
            advance(to: start)
            let tagLine = line
            advance(to: signIndex + (sign == nil ? 0 : 1))
            switch kind {
            case .comment: try skipComment(line: tagLine)
            case .output: pieces.append(.output(try tagTokens(kind: kind, line: tagLine), line: tagLine))
            case .statement: pieces.append(.statement(try tagTokens(kind: kind, line: tagLine), line: tagLine))
            }
        }
    }

    private mutating func emitText(_ text: [Unicode.Scalar]) {
        guard !text.isEmpty else { return }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: text)
        pieces.append(.text(String(s)))
    }

    /// Moves to `target`, counting the newlines passed for line numbers.
    private mutating func advance(to target: Int) {
        while pos < target {
            if src[pos] == "\n" { line += 1 }
            pos += 1
        }
    }

    private func nextTag(from start: Int) -> (Int, TagKind)? {
        var i = start
        while i + 1 < src.count {
            if src[i] == "{" {
                switch src[i + 1] {
                case "{": return (i, .output)
                case "%": return (i, .statement)
                case "#": return (i, .comment)
                default: break
                }
            }
            i += 1
        }
        return nil
    }

    private func matches(_ s: String, at i: Int) -> Bool {
        var j = i
        for c in s.unicodeScalars {
            guard j < src.count, src[j] == c else { return false }
            j += 1
        }
        return true
    }

    /// Skips whitespace after a `-` closer; the closer "ends a line" when that whitespace does.
    private mutating func skipSpaceAfterClose() {
        var end = pos
        while end < src.count, pythonIsSpace(src[end]) { end += 1 }
        lineStarting = end > pos && src[end - 1] == "\n"
        advance(to: end)
    }

    /// Consumes a closer with its trim rule and returns true, or returns false when none is here.
    private mutating func close(_ closer: String) -> Bool {
        let trims = closer != "}}"
        if trims && matches("+" + closer, at: pos) {
            advance(to: pos + 3)
            lineStarting = false
        } else if matches("-" + closer, at: pos) {
            advance(to: pos + 3)
            skipSpaceAfterClose()
        } else if matches(closer, at: pos) {
            advance(to: pos + 2)
            lineStarting = false
            if trims && pos < src.count && src[pos] == "\n" {
                advance(to: pos + 1)
                lineStarting = true
            }
        } else {
            return false
        }
        return true
    }

    private mutating func skipComment(line tagLine: Int) throws(ChatTemplateError) {
        while pos < src.count {
            if close("#}") { return }
            advance(to: pos + 1)
        }
        throw .syntax("missing end of comment tag", line: tagLine)
    }

    private mutating func tagTokens(kind: TagKind, line tagLine: Int) throws(ChatTemplateError) -> [TemplateToken] {
        let closer = kind == .output ? "}}" : "%}"
        var tokens: [TemplateToken] = []
        var brackets: [Unicode.Scalar] = []
        while true {
            guard pos < src.count else {
                throw .syntax("unexpected end of template: \(kind == .output ? "'}}'" : "'%}'") missing", line: tagLine)
            }
            if brackets.isEmpty && close(closer) { break }
            let c = src[pos]
            if pythonIsSpace(c) {
                advance(to: pos + 1)
                continue
            }
            let tokenLine = line
            if c.properties.numericType == .decimal && c.isASCII {
                tokens.append(TemplateToken(kind: try number(), line: tokenLine))
            } else if c == "_" || c.properties.isXIDStart {
                var end = pos + 1
                while end < src.count, src[end] == "_" || src[end].properties.isXIDContinue { end += 1 }
                var s = String.UnicodeScalarView()
                s.append(contentsOf: src[pos..<end])
                advance(to: end)
                tokens.append(TemplateToken(kind: .name(String(s)), line: tokenLine))
            } else if c == "'" || c == "\"" {
                tokens.append(TemplateToken(kind: .string(try stringLiteral()), line: tokenLine))
            } else {
                let op = try operatorToken(line: tokenLine)
                switch op {
                case "(": brackets.append(")")
                case "[": brackets.append("]")
                case "{": brackets.append("}")
                case ")", "]", "}":
                    guard let expected = brackets.popLast() else { throw .syntax("unexpected '\(op)'", line: tokenLine) }
                    guard String(expected) == op else { throw .syntax("unexpected '\(op)', expected '\(expected)'", line: tokenLine) }
                default: break
                }
                tokens.append(TemplateToken(kind: .op(op), line: tokenLine))
            }
            if kind == .statement, tokens.count == 1, tokens[0].isName("raw") {
                throw .unsupported(construct: "statement 'raw'", line: tagLine)
            }
        }
        return tokens
    }

    private static let operators = ["//", "**", "==", "!=", ">=", "<=",
                                    "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", "<", ">", "=", ".", ":", "|", ",", ";"]

    private mutating func operatorToken(line tokenLine: Int) throws(ChatTemplateError) -> String {
        for op in Self.operators where matches(op, at: pos) {
            advance(to: pos + op.unicodeScalars.count)
            return op
        }
        throw .syntax("unexpected character '\(Character(src[pos]))'", line: tokenLine)
    }

    private func isDigit(_ i: Int) -> Bool { i < src.count && src[i].isASCII && src[i].properties.numericType == .decimal }

    /// Digits with single underscores between them, as Python allows; returns the end index.
    private func digitRun(from start: Int) -> Int {
        var end = start
        while isDigit(end) || (src[safe: end] == "_" && isDigit(end + 1) && end > start) { end += 1 }
        return end
    }

    private mutating func number() throws(ChatTemplateError) -> TemplateToken.Kind {
        let start = pos
        if src[pos] == "0", let next = src[safe: pos + 1], "xXoObB".unicodeScalars.contains(next) {
            throw .unsupported(construct: "number literal with prefix 0\(Character(next))", line: line)
        }
        var end = digitRun(from: pos)
        var isFloat = false
        if src[safe: end] == ".", isDigit(end + 1) {
            end = digitRun(from: end + 1)
            isFloat = true
        }
        if let e = src[safe: end], e == "e" || e == "E" {
            var j = end + 1
            if let s = src[safe: j], s == "+" || s == "-" { j += 1 }
            if isDigit(j) {
                end = digitRun(from: j)
                isFloat = true
            }
        }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: src[start..<end].filter { $0 != "_" })
        let literal = String(text)
        advance(to: end)
        if isFloat {
            guard let d = Double(literal) else { throw .syntax("invalid number '\(literal)'", line: line) }
            return .double(d)
        }
        guard literal == "0" || !literal.hasPrefix("0") else { throw .syntax("invalid number '\(literal)'", line: line) }
        guard let i = Int(literal) else { throw .unsupported(construct: "integer literal \(literal) beyond 64 bits", line: line) }
        return .int(i)
    }

    /// A quoted literal with Python's escapes decoded (Jinja decodes with "unicode-escape").
    private mutating func stringLiteral() throws(ChatTemplateError) -> String {
        let quote = src[pos]
        let startLine = line
        var i = pos + 1
        var out = String.UnicodeScalarView()
        while true {
            guard i < src.count else { throw .syntax("unterminated string literal", line: startLine) }
            let c = src[i]
            if c == quote { break }
            if c != "\\" {
                out.append(c)
                i += 1
                continue
            }
            guard i + 1 < src.count else { throw .syntax("unterminated string literal", line: startLine) }
            let e = src[i + 1]
            i += 2
            switch e {
            case "\n": break
            case "\\", "'", "\"": out.append(e)
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "v": out.append("\u{0B}")
            case "0"..."7":
                var value = e.value - 48
                var digits = 1
                while digits < 3, i < src.count, ("0"..."7").contains(src[i]) {
                    value = value * 8 + src[i].value - 48
                    i += 1
                    digits += 1
                }
                out.append(Unicode.Scalar(value)!)
            case "x", "u", "U":
                let count = e == "x" ? 2 : e == "u" ? 4 : 8
                guard i + count <= src.count,
                      let value = UInt32(String(String.UnicodeScalarView(src[i..<(i + count)])), radix: 16),
                      let scalar = Unicode.Scalar(value) else {
                    throw .syntax("bad \\\(e) escape in string literal", line: line)
                }
                out.append(scalar)
                i += count
            case "N":
                throw .unsupported(construct: "\\N{...} escape in a string literal", line: line)
            default:
                // Unknown escapes stay as written; a non-ASCII character after the backslash
                // reaches the decoder as its own backslash escape, which then stays literal.
                out.append("\\")
                if e.isASCII {
                    out.append(e)
                } else {
                    let h = String(e.value, radix: 16)
                    let (prefix, width) = e.value < 0x100 ? ("\\x", 2) : e.value < 0x10000 ? ("\\u", 4) : ("\\U", 8)
                    out.append(contentsOf: (prefix + String(repeating: "0", count: width - h.count) + h).unicodeScalars)
                }
            }
        }
        advance(to: i + 1)
        return String(out)
    }
}

extension Array {
    fileprivate subscript(safe i: Int) -> Element? { i >= 0 && i < count ? self[i] : nil }
}
