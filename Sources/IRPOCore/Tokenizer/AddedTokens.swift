/// One entry of tokenizer.json `added_tokens`.
struct AddedToken: Sendable {
    let id: Int32
    let content: [UInt8]
    let singleWord: Bool
    let lstrip: Bool
    let rstrip: Bool
    let normalized: Bool
    let special: Bool

    static func parse(_ json: JSONValue?) throws -> [AddedToken] {
        guard let json, !json.isNull else { return [] }
        guard let list = json.arrayValue else {
            throw TokenizerError.invalid(field: "added_tokens", reason: "expected an array")
        }
        return try list.enumerated().map { i, item in
            guard let id = item["id"]?.wholeNumber, id >= 0, id < Int(Int32.max) else {
                throw TokenizerError.invalid(field: "added_tokens[\(i)].id", reason: "expected a non-negative integer")
            }
            guard let content = item["content"]?.stringValue, !content.isEmpty else {
                throw TokenizerError.invalid(field: "added_tokens[\(i)].content", reason: "expected a non-empty string")
            }
            let special = item["special"]?.boolValue ?? false
            return AddedToken(id: Int32(id), content: Array(content.utf8),
                              singleWord: item["single_word"]?.boolValue ?? false,
                              lstrip: item["lstrip"]?.boolValue ?? false,
                              rstrip: item["rstrip"]?.boolValue ?? false,
                              normalized: item["normalized"]?.boolValue ?? !special,
                              special: special)
        }
    }
}

/// A piece of input after added tokens are cut out: plain text, or one added token's id.
package enum AddedSegment {
    case text(Range<Int>)
    case token(Int32)
}

/// Finds added tokens in text, leftmost first and longest at a position (HF's Aho-Corasick
/// LeftmostLongest), honouring single_word, lstrip and rstrip.
struct AddedTokenMatcher: Sendable {
    private let tokens: [AddedToken]
    /// Candidate token indices by first byte, longest content first.
    private let byFirstByte: [[Int]]

    init(_ tokens: [AddedToken]) {
        self.tokens = tokens
        var table = [[Int]](repeating: [], count: 256)
        for (i, t) in tokens.enumerated() { table[Int(t.content[0])].append(i) }
        byFirstByte = table.map { $0.sorted { tokens[$0].content.count > tokens[$1].content.count } }
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Cuts `s` into text segments and added tokens; text segments are never empty.
    func split(_ s: [UInt8]) -> [AddedSegment] {
        if tokens.isEmpty { return s.isEmpty ? [] : [.text(0..<s.count)] }
        var out: [AddedSegment] = []
        var textStart = 0  // start of the pending text segment, also the floor for lstrip
        var i = 0
        s.withUnsafeBufferPointer { p in
            while i < p.count {
                let candidates = byFirstByte[Int(p[i])]
                var found: AddedToken?
                for c in candidates {
                    let t = tokens[c]
                    if i + t.content.count <= p.count && p[i..<i + t.content.count].elementsEqual(t.content) {
                        found = t
                        break
                    }
                }
                guard let t = found else { i += 1; continue }
                var start = i
                var stop = i + t.content.count
                if t.singleWord && (isWordBefore(p, start) || isWordAfter(p, stop)) {
                    // HF's matcher has consumed these bytes; they stay plain text.
                    i = stop
                    continue
                }
                if t.lstrip { while start > textStart, let w = whitespaceBefore(p, start) { start = w } }
                if t.rstrip { while stop < p.count, let w = whitespaceAfter(p, stop) { stop = w } }
                if start > textStart { out.append(.text(textStart..<start)) }
                out.append(.token(t.id))
                textStart = stop
                i = stop
            }
        }
        if textStart < s.count { out.append(.text(textStart..<s.count)) }
        return out
    }

    private func scalarEnding(_ p: UnsafeBufferPointer<UInt8>, _ end: Int) -> (UInt32, Int) {
        var j = end - 1
        while j > 0 && p[j] & 0xC0 == 0x80 { j -= 1 }
        return (Scan.decode(p, j).0, j)
    }

    private func whitespaceBefore(_ p: UnsafeBufferPointer<UInt8>, _ end: Int) -> Int? {
        let (v, start) = scalarEnding(p, end)
        return Scan.classify(v) == .space ? start : nil
    }

    private func whitespaceAfter(_ p: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        let (v, n) = Scan.decode(p, start)
        return Scan.classify(v) == .space ? start + n : nil
    }

    private func isWord(_ v: UInt32) -> Bool {
        if v == 0x5F { return true }
        let c = Scan.classify(v)
        if c == .letter || c == .number { return true }
        return Unicode.Scalar(v)?.properties.isAlphabetic ?? false
    }

    private func isWordBefore(_ p: UnsafeBufferPointer<UInt8>, _ end: Int) -> Bool {
        end > 0 && isWord(scalarEnding(p, end).0)
    }

    private func isWordAfter(_ p: UnsafeBufferPointer<UInt8>, _ start: Int) -> Bool {
        start < p.count && isWord(Scan.decode(p, start).0)
    }
}
