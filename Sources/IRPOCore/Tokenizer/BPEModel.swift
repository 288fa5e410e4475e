import Foundation

/// The BPE `model` of a tokenizer.json: vocabulary, ranked merges and the unknown-character rules.
package struct BPEModel: Sendable {
    /// Token text (exact UTF-8 bytes, in the vocabulary's own alphabet) to id.
    let vocab: [[UInt8]: Int32]
    /// (left id, right id) packed into 64 bits -> (rank << 32 | merged id).
    let merges: [UInt64: UInt64]
    let unkId: Int32?
    let fuseUnk: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    /// Id of the single-character token for each byte's GPT-2 character, or -1.
    let byteIds: [Int32]
    /// Id of each single-scalar token, for vocabularies over raw text (SentencePiece style).
    let scalarIds: [UInt32: Int32]
    /// Id of each `<0xNN>` token, or -1.
    let fallbackIds: [Int32]
    private let cache = PieceCache()

    init(json: JSONValue) throws {
        let type = json["type"]?.stringValue ?? (json["merges"] != nil ? "BPE" : "")
        guard type == "BPE" else { throw TokenizerError.unsupported(field: "model.type", value: type.isEmpty ? "(missing)" : type) }
        if let d = json["dropout"], !d.isNull, !(d.wholeNumber == 0) {
            throw TokenizerError.unsupported(field: "model.dropout", value: "\(d)")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let v = json[key], !v.isNull, v.stringValue != "" {
                throw TokenizerError.unsupported(field: "model.\(key)", value: v.stringValue ?? "\(v)")
            }
        }
        guard let vocabPairs = json["vocab"]?.objectValue else {
            throw TokenizerError.invalid(field: "model.vocab", reason: "expected an object of token -> id")
        }
        var vocab: [[UInt8]: Int32] = [:]
        vocab.reserveCapacity(vocabPairs.count)
        for member in vocabPairs.members {
            let token = member.key
            guard let id = member.value.wholeNumber, id >= 0, id < Int(Int32.max) else {
                throw TokenizerError.invalid(field: "model.vocab[\(token)]", reason: "id must be a non-negative integer")
            }
            vocab[Array(token.utf8)] = Int32(id)
        }
        self.vocab = vocab

        guard let mergeList = json["merges"]?.arrayValue else {
            throw TokenizerError.invalid(field: "model.merges", reason: "expected an array")
        }
        var merges: [UInt64: UInt64] = [:]
        merges.reserveCapacity(mergeList.count)
        for (rank, item) in mergeList.enumerated() {
            let left: String, right: String
            if let s = item.stringValue {
                // The "a b" form: tokens never hold a literal space (it is Ġ or ▁ in every vocab).
                let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError.invalid(field: "model.merges[\(rank)]", reason: "expected \"a b\", got \"\(s)\"")
                }
                left = String(parts[0]); right = String(parts[1])
            } else if let pair = item.arrayValue, pair.count == 2, let a = pair[0].stringValue, let b = pair[1].stringValue {
                left = a; right = b
            } else {
                throw TokenizerError.invalid(field: "model.merges[\(rank)]", reason: "expected \"a b\" or [\"a\", \"b\"]")
            }
            let l = Array(left.utf8), r = Array(right.utf8)
            guard let a = vocab[l] else { throw TokenizerError.invalid(field: "model.merges[\(rank)]", reason: "\"\(left)\" is not in model.vocab") }
            guard let b = vocab[r] else { throw TokenizerError.invalid(field: "model.merges[\(rank)]", reason: "\"\(right)\" is not in model.vocab") }
            guard let m = vocab[l + r] else { throw TokenizerError.invalid(field: "model.merges[\(rank)]", reason: "\"\(left)\(right)\" is not in model.vocab") }
            merges[BPEModel.pairKey(a, b)] = UInt64(rank) << 32 | UInt64(UInt32(m))
        }
        self.merges = merges

        if let unk = json["unk_token"]?.stringValue {
            guard let id = vocab[Array(unk.utf8)] else {
                throw TokenizerError.invalid(field: "model.unk_token", reason: "\"\(unk)\" is not in model.vocab")
            }
            unkId = id
        } else {
            unkId = nil
        }
        fuseUnk = json["fuse_unk"]?.boolValue ?? false
        byteFallback = json["byte_fallback"]?.boolValue ?? false
        ignoreMerges = json["ignore_merges"]?.boolValue ?? false

        byteIds = (0..<256).map { vocab[ByteLevelAlphabet.utf8ForByte[$0]] ?? -1 }
        fallbackIds = (0..<256).map { b in
            let hex = String(b, radix: 16, uppercase: true)
            return vocab[Array(("<0x" + (hex.count == 1 ? "0" : "") + hex + ">").utf8)] ?? -1
        }
        var scalarIds: [UInt32: Int32] = [:]
        for (token, id) in vocab {
            let scalars = String(decoding: token, as: UTF8.self).unicodeScalars
            if scalars.count == 1 { scalarIds[scalars.first!.value] = id }
        }
        self.scalarIds = scalarIds
    }

    /// The merge table's key of the adjacent ids (a, b).
    @inline(__always)
    package static func pairKey(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }

    /// Whether a byte-mapped piece can skip BPE entirely: no merges, nothing whole-word, every byte present.
    var isPlainByteLevel: Bool { merges.isEmpty && !ignoreMerges && !byteIds.contains(-1) }

    /// Appends the ids of one pre-tokenized piece. `byteMapped` says the vocabulary is in GPT-2's
    /// byte alphabet and `p[range]` holds raw bytes still to be mapped.
    func encode(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, byteMapped: Bool, into out: inout [Int32]) {
        if range.isEmpty { return }
        var key: PieceKey?
        if range.count <= 16 {
            let k = PieceKey(p, range)
            if let hit = cache.get(k) {
                out.append(contentsOf: hit)
                return
            }
            key = k
        }
        let ids = encodeUncached(p, range, byteMapped: byteMapped)
        out.append(contentsOf: ids)
        if let key { cache.put(key, ids) }
    }

    private func encodeUncached(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, byteMapped: Bool) -> [Int32] {
        if ignoreMerges {
            let text = byteMapped ? ByteLevelAlphabet.mapped(p[range]) : Array(p[range])
            if let id = vocab[text] { return [id] }
        }
        var symbols: [Int32] = []
        symbols.reserveCapacity(range.count)
        var pendingUnk = false
        func known(_ id: Int32) {
            if pendingUnk, let unk = unkId { symbols.append(unk); pendingUnk = false }
            symbols.append(id)
        }
        func missing(_ charBytes: [UInt8]) {
            if byteFallback {
                let ids = charBytes.map { fallbackIds[Int($0)] }
                // As in HF, a character fully covered by <0xNN> tokens does not flush a pending unk.
                if !ids.contains(-1) { symbols += ids; return }
            }
            guard let unk = unkId else { return }  // HF drops the character when there is no unk
            if pendingUnk && !fuseUnk { symbols.append(unk) }
            pendingUnk = true
        }
        var i = range.lowerBound
        while i < range.upperBound {
            if byteMapped {
                let b = Int(p[i])
                let id = byteIds[b]
                if id >= 0 { known(id) } else { missing(ByteLevelAlphabet.utf8ForByte[b]) }
                i += 1
            } else {
                let (v, n) = Scan.decode(p, i)
                if let id = scalarIds[v] { known(id) } else { missing(Array(p[i..<i + n])) }
                i += n
            }
        }
        if pendingUnk, let unk = unkId { symbols.append(unk) }
        applyMerges(&symbols)
        return symbols
    }

    /// Repeatedly merges the adjacent pair with the lowest rank, leftmost first: the order HF's
    /// priority queue produces. Pair ranks live in an array updated only next to each merge, so a
    /// long piece (a whole SentencePiece line) costs array scans, not hash lookups.
    func applyMerges(_ ids: inout [Int32]) {
        if ids.count < 2 || merges.isEmpty { return }
        let none = UInt64.max
        var pairs = [UInt64](repeating: none, count: ids.count - 1)
        for k in 0..<pairs.count { pairs[k] = merges[BPEModel.pairKey(ids[k], ids[k + 1])] ?? none }
        while true {
            var best = none
            var at = -1
            for k in 0..<pairs.count where pairs[k] < best {
                best = pairs[k]
                at = k
            }
            if at < 0 { return }
            ids[at] = Int32(truncatingIfNeeded: UInt32(best & 0xFFFF_FFFF))
            ids.remove(at: at + 1)
            pairs.remove(at: at)
            if at > 0 { pairs[at - 1] = merges[BPEModel.pairKey(ids[at - 1], ids[at])] ?? none }
            if at < pairs.count { pairs[at] = merges[BPEModel.pairKey(ids[at], ids[at + 1])] ?? none }
        }
    }
}

/// Up to 16 bytes of a piece packed into two words, so cache lookups allocate nothing.
struct PieceKey: Hashable {
    var a: UInt64 = 0
    var b: UInt64 = 0
    var count: Int

    init(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        count = range.count
        var shift: UInt64 = 0
        for i in range {
            if shift < 64 { a |= UInt64(p[i]) << shift } else { b |= UInt64(p[i]) << (shift - 64) }
            shift += 8
        }
    }
}

/// Piece -> ids memo shared by all threads; BPE on a repeated word is then one hash lookup.
final class PieceCache: @unchecked Sendable {
    private let lock = NSLock()
    private var map: [PieceKey: [Int32]] = [:]
    private static let capacity = 200_000

    func get(_ key: PieceKey) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return map[key]
    }

    func put(_ key: PieceKey, _ ids: [Int32]) {
        lock.lock()
        defer { lock.unlock() }
        // Bounded so a long stream of unseen words cannot grow memory without limit.
        if map.count >= PieceCache.capacity { map.removeAll(keepingCapacity: true) }
        map[key] = ids
    }
}
