/// One step of a tokenizer.json `decoder` chain. Like HF's decode_chain, every step maps a list
/// of token strings to a list of strings; here they are UTF-8 byte arrays so that bytes of a
/// character split across tokens survive until the chain's end.
enum DecoderStep: Sendable {
    case byteLevel
    case replace(from: [UInt8], to: [UInt8])
    case byteFallback
    case fuse
    case strip(content: [UInt8], start: Int, stop: Int)
    case metaspace(replacement: [UInt8], prepend: PrependScheme)

    /// Parses a decoder object, flattening Sequence; nil JSON means "no decoder".
    static func parse(_ json: JSONValue?, field: String) throws -> [DecoderStep]? {
        guard let json, !json.isNull else { return nil }
        let type = try requireType(json, field: field)
        switch type {
        case "Sequence":
            return try parseSequence(json, key: "decoders", field: field) { try parse($0, field: $1) ?? [] }
        case "ByteLevel": return [.byteLevel]
        case "ByteFallback": return [.byteFallback]
        case "Fuse": return [.fuse]
        case "Replace":
            let (from, to) = try parseReplace(json, field: field)
            return [.replace(from: from, to: to)]
        case "Strip":
            guard let content = json["content"]?.stringValue, content.unicodeScalars.count == 1 else {
                throw TokenizerError.invalid(field: "\(field).content", reason: "expected a one-character string")
            }
            return [.strip(content: Array(content.utf8), start: json["start"]?.wholeNumber ?? 0, stop: json["stop"]?.wholeNumber ?? 0)]
        case "Metaspace":
            let (replacement, scheme) = try parseMetaspace(json, field: field)
            return [.metaspace(replacement: replacement, prepend: scheme)]
        default:
            throw TokenizerError.unsupported(field: "\(field).type", value: type)
        }
    }

    /// Runs the chain and joins the result; invalid UTF-8 becomes U+FFFD only here, at the end.
    static func decode(_ steps: [DecoderStep]?, _ input: [[UInt8]]) -> [UInt8] {
        guard let steps else {
            // HF joins token strings with spaces when a file has no decoder.
            var out: [UInt8] = []
            for (i, t) in input.enumerated() {
                if i > 0 { out.append(0x20) }
                out += t
            }
            return out
        }
        var tokens = input
        for step in steps { tokens = apply(step, tokens) }
        var out: [UInt8] = []
        for t in tokens { out += t }
        return out
    }

    private static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]

    private static func apply(_ step: DecoderStep, _ tokens: [[UInt8]]) -> [[UInt8]] {
        switch step {
        case .byteLevel:
            var bytes: [UInt8] = []
            for t in tokens {
                let start = bytes.count
                var ok = true
                for scalar in String(decoding: t, as: UTF8.self).unicodeScalars {
                    guard let b = ByteLevelAlphabet.byte(for: scalar) else { ok = false; break }
                    bytes.append(b)
                }
                // A token with a character outside the byte table (an added token such as
                // "<| x |>") passes through as its own UTF-8, as HF does.
                if !ok {
                    bytes.removeSubrange(start...)
                    bytes += t
                }
            }
            // HF turns the bytes into a string right here, lossily, before any later step.
            return [Array(String(decoding: bytes, as: UTF8.self).utf8)]
        case .replace(let from, let to):
            return tokens.map { replaceAll($0, from, to) }
        case .byteFallback:
            var out: [[UInt8]] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                // HF keeps a run of byte tokens only if the whole run is valid UTF-8; otherwise each
                // byte token becomes one U+FFFD.
                if String(decoding: pending, as: UTF8.self).utf8.elementsEqual(pending) {
                    out.append(pending)
                } else {
                    for _ in pending { out.append(replacementCharacter) }
                }
                pending.removeAll()
            }
            for t in tokens {
                if let b = byteToken(t) {
                    pending.append(b)
                } else {
                    flush()
                    out.append(t)
                }
            }
            flush()
            return out
        case .fuse:
            return [tokens.reduce(into: []) { $0 += $1 }]
        case .strip(let content, let start, let stop):
            return tokens.map { t in
                var lo = 0, hi = t.count
                var n = 0
                while n < start && hi - lo >= content.count && t[lo..<lo + content.count].elementsEqual(content) {
                    lo += content.count
                    n += 1
                }
                n = 0
                while n < stop && hi - lo >= content.count && t[hi - content.count..<hi].elementsEqual(content) {
                    hi -= content.count
                    n += 1
                }
                return Array(t[lo..<hi])
            }
        case .metaspace(let replacement, let prepend):
            return tokens.enumerated().map { i, t in
                // In the first token every marker is dropped (not only the leading one), as in HF.
                let dropAll = i == 0 && prepend != .never
                return replaceAll(t, replacement, dropAll ? [] : [0x20])
            }
        }
    }

    /// The byte of a `<0xNN>` token, or nil for any other token.
    static func byteToken(_ t: [UInt8]) -> UInt8? {
        guard t.count == 6, t[0] == UInt8(ascii: "<"), t[1] == UInt8(ascii: "0"), t[2] == UInt8(ascii: "x"),
              t[5] == UInt8(ascii: ">") else { return nil }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x41...0x46: return c - 0x41 + 10
            case 0x61...0x66: return c - 0x61 + 10
            default: return nil
            }
        }
        guard let h = hex(t[3]), let l = hex(t[4]) else { return nil }
        return h << 4 | l
    }
}
