/// Metaspace's rule for adding the word-start marker at the front of a piece.
enum PrependScheme: String, Sendable {
    case always, first, never
}

/// One step of a tokenizer.json `pre_tokenizer`: cuts text into the pieces BPE sees on its own.
enum PreTokenizerStep: Sendable {
    /// Maps bytes to GPT-2's byte characters (done by the model on raw bytes, see BPEModel).
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// A recognised split regex with behavior Isolated.
    case split(SplitPattern)
    /// A literal-string Split with any behavior.
    case splitLiteral([UInt8], SplitBehavior)
    case digits(individual: Bool)
    case metaspace(replacement: [UInt8], prepend: PrependScheme, split: Bool)

    /// Parses a pre_tokenizer object (or null), flattening Sequence.
    static func parse(_ json: JSONValue?, field: String) throws -> [PreTokenizerStep] {
        guard let json, !json.isNull else { return [] }
        let type = try requireType(json, field: field)
        switch type {
        case "Sequence":
            return try parseSequence(json, key: "pretokenizers", field: field) { try parse($0, field: $1) }
        case "ByteLevel":
            return [.byteLevel(addPrefixSpace: json["add_prefix_space"]?.boolValue ?? true,
                               useRegex: json["use_regex"]?.boolValue ?? true)]
        case "Split":
            if json["invert"]?.boolValue == true {
                throw TokenizerError.unsupported(field: "\(field).invert", value: "true")
            }
            let behaviorName = json["behavior"]?.stringValue ?? ""
            guard let behavior = SplitBehavior(rawValue: behaviorName) else {
                throw TokenizerError.unsupported(field: "\(field).behavior", value: behaviorName)
            }
            guard let pattern = json["pattern"] else {
                throw TokenizerError.invalid(field: "\(field).pattern", reason: "missing")
            }
            if let regex = pattern["Regex"]?.stringValue {
                guard let scanner = SplitPattern.recognise(regex) else {
                    throw TokenizerError.unsupported(field: "\(field).pattern.Regex", value: regex)
                }
                // Our scanners produce the matches themselves; only Isolated keeps them as they are.
                guard behavior == .isolated else {
                    throw TokenizerError.unsupported(field: "\(field).behavior", value: behaviorName)
                }
                return [.split(scanner)]
            }
            if let literal = pattern["String"]?.stringValue, !literal.isEmpty {
                return [.splitLiteral(Array(literal.utf8), behavior)]
            }
            throw TokenizerError.invalid(field: "\(field).pattern", reason: "expected {\"Regex\": ...} or {\"String\": ...}")
        case "Digits":
            return [.digits(individual: json["individual_digits"]?.boolValue ?? false)]
        case "Metaspace":
            let (replacement, scheme) = try parseMetaspace(json, field: field)
            return [.metaspace(replacement: replacement, prepend: scheme, split: json["split"]?.boolValue ?? true)]
        default:
            throw TokenizerError.unsupported(field: "\(field).type", value: type)
        }
    }

    /// Applies the steps to one piece of (normalized) text. `atTextStart` says whether it begins
    /// at offset 0 of the caller's string, which Metaspace's "first" scheme asks about.
    static func apply(_ steps: [PreTokenizerStep], _ input: [UInt8], atTextStart: Bool) -> ([UInt8], [Range<Int>]) {
        var buffer = input
        var pieces: [Range<Int>] = input.isEmpty ? [] : [0..<input.count]
        for step in steps {
            switch step {
            case .byteLevel(let addPrefixSpace, let useRegex):
                if addPrefixSpace {
                    (buffer, pieces) = rebuild(buffer, pieces) { slice, _ in
                        slice.first == 0x20 ? Array(slice) : [0x20] + slice
                    }
                }
                if useRegex { pieces = splitEach(buffer, pieces, .gpt2) }
            case .split(let pattern):
                pieces = splitEach(buffer, pieces, pattern)
            case .splitLiteral(let literal, let behavior):
                var out: [Range<Int>] = []
                for piece in pieces {
                    behavior.apply(piece: piece, matches: literalMatches(buffer, piece, literal), into: &out)
                }
                pieces = out
            case .digits(let individual):
                var out: [Range<Int>] = []
                buffer.withUnsafeBufferPointer { p in
                    for piece in pieces {
                        var matches: [Range<Int>] = []
                        var i = piece.lowerBound
                        while i < piece.upperBound {
                            let (v, n) = Scan.decode(p, i)
                            if Scan.classify(v) == .number { matches.append(i..<i + n) }
                            i += n
                        }
                        (individual ? SplitBehavior.isolated : .contiguous).apply(piece: piece, matches: matches, into: &out)
                    }
                }
                pieces = out
            case .metaspace(let replacement, let prepend, let split):
                (buffer, pieces) = rebuild(buffer, pieces) { slice, index in
                    var s = replaceAll(Array(slice), [0x20], replacement)
                    let startsWithMarker = s.starts(with: replacement)
                    switch prepend {
                    case .always: if !startsWithMarker { s = replacement + s }
                    case .first: if !startsWithMarker && atTextStart && index == 0 { s = replacement + s }
                    case .never: break
                    }
                    return s
                }
                if split {
                    var out: [Range<Int>] = []
                    for piece in pieces {
                        SplitBehavior.mergedWithNext.apply(piece: piece, matches: literalMatches(buffer, piece, replacement), into: &out)
                    }
                    pieces = out
                }
            }
        }
        return (buffer, pieces)
    }

    private static func splitEach(_ buffer: [UInt8], _ pieces: [Range<Int>], _ pattern: SplitPattern) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(pieces.count + buffer.count / 4)
        buffer.withUnsafeBufferPointer { p in
            for piece in pieces { pattern.split(p, piece.lowerBound, piece.upperBound, into: &out) }
        }
        return out
    }

    /// Rewrites every piece into a fresh buffer (pieces never overlap, so order is kept).
    private static func rebuild(_ buffer: [UInt8], _ pieces: [Range<Int>],
                                _ transform: (ArraySlice<UInt8>, Int) -> [UInt8]) -> ([UInt8], [Range<Int>]) {
        var out: [UInt8] = []
        out.reserveCapacity(buffer.count + pieces.count * 3)
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(pieces.count)
        for (index, piece) in pieces.enumerated() {
            let start = out.count
            out.append(contentsOf: transform(buffer[piece], index))
            if out.count > start { ranges.append(start..<out.count) }
        }
        return (out, ranges)
    }
}

/// Non-overlapping occurrences of `literal` inside `piece`, left to right.
func literalMatches(_ buffer: [UInt8], _ piece: Range<Int>, _ literal: [UInt8]) -> [Range<Int>] {
    var matches: [Range<Int>] = []
    guard !literal.isEmpty else { return matches }
    var i = piece.lowerBound
    let first = literal[0]
    while i + literal.count <= piece.upperBound {
        if buffer[i] == first && buffer[i..<i + literal.count].elementsEqual(literal) {
            matches.append(i..<i + literal.count)
            i += literal.count
        } else {
            i += 1
        }
    }
    return matches
}

/// Reads Metaspace's `replacement` and prepend scheme, accepting the older `add_prefix_space` key.
func parseMetaspace(_ json: JSONValue, field: String) throws -> ([UInt8], PrependScheme) {
    guard let replacement = json["replacement"]?.stringValue, replacement.unicodeScalars.count == 1 else {
        throw TokenizerError.invalid(field: "\(field).replacement", reason: "expected a one-character string")
    }
    var scheme = PrependScheme.always
    if let name = json["prepend_scheme"]?.stringValue {
        guard let s = PrependScheme(rawValue: name) else {
            throw TokenizerError.unsupported(field: "\(field).prepend_scheme", value: name)
        }
        scheme = s
    }
    // Files written before prepend_scheme existed say add_prefix_space: false for "never".
    if json["add_prefix_space"]?.boolValue == false { scheme = .never }
    return (Array(replacement.utf8), scheme)
}
