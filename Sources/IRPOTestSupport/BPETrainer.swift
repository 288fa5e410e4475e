import Foundation
import IRPOCore

// Tokenizer code the tests and irpo-bench share and no command needs.

extension Tokenizer {
    /// Trains a small byte-level BPE (GPT-2 split, greedy most-frequent-pair merges) on `texts`
    /// and returns it as a loadable tokenizer.json. Ids: 0...255 bytes, then `specials`, then one
    /// id per merge. Ties between equally frequent pairs go to the smaller (left, right) ids, so
    /// the same texts give the same file in every run.
    public static func trainByteLevel(texts: [String], merges mergeCount: Int,
                                      specials: [String] = ["<|endoftext|>"]) -> Tokenizer {
        var (words, counts) = wordCounts(texts)

        let keptSpecials = distinctSpecials(specials)
        var tokenText: [[UInt8]] = ByteLevelAlphabet.utf8ForByte + keptSpecials.map { Array($0.utf8) }
        var tokenTextSeen = Set(tokenText)

        var pairCount: [UInt64: Int] = [:]
        var pairWords: [UInt64: Set<Int>] = [:]
        for (w, word) in words.enumerated() where word.count > 1 {
            for k in 0..<word.count - 1 {
                let key = BPEModel.pairKey(word[k], word[k + 1])
                pairCount[key, default: 0] += counts[w]
                pairWords[key, default: []].insert(w)
            }
        }

        var mergeList: [(Int32, Int32)] = []
        while mergeList.count < mergeCount {
            var best: UInt64 = 0
            var bestCount = 0
            for (key, c) in pairCount where c > bestCount || (c == bestCount && c > 0 && key < best) {
                best = key
                bestCount = c
            }
            if bestCount == 0 { break }
            let left = Int32(truncatingIfNeeded: best >> 32), right = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
            let merged = tokenText[Int(left)] + tokenText[Int(right)]
            // A merge whose text already exists (possible only through a special) would clash.
            if tokenTextSeen.contains(merged) { pairCount[best] = 0; continue }
            tokenTextSeen.insert(merged)
            let newId = Int32(tokenText.count)
            tokenText.append(merged)
            mergeList.append((left, right))

            for w in pairWords[best] ?? [] {
                let old = words[w], new = merging(left, right, into: newId, in: old)
                for k in 0..<max(0, old.count - 1) { pairCount[BPEModel.pairKey(old[k], old[k + 1])]! -= counts[w] }
                for k in 0..<max(0, new.count - 1) {
                    let key = BPEModel.pairKey(new[k], new[k + 1])
                    pairCount[key, default: 0] += counts[w]
                    pairWords[key, default: []].insert(w)
                }
                words[w] = new
            }
            pairCount[best] = nil
            pairWords[best] = nil
        }

        let out = byteLevelBPEJSON(vocab: tokenText, specialCount: keptSpecials.count, merges: mergeList)
        do {
            return try Tokenizer(json: Data(out.utf8))
        } catch {
            preconditionFailure("trained tokenizer.json does not load: \(error)")
        }
    }

    /// The distinct GPT-2 pieces of `texts` as byte ids, with how often each occurs; merges
    /// never cross a piece boundary.
    private static func wordCounts(_ texts: [String]) -> (words: [[Int32]], counts: [Int]) {
        var wordIndex: [[UInt8]: Int] = [:]
        var words: [[Int32]] = []
        var counts: [Int] = []
        for text in texts {
            let bytes = Array(text.utf8)
            var pieces: [Range<Int>] = []
            bytes.withUnsafeBufferPointer { SplitPattern.gpt2.split($0, 0, bytes.count, into: &pieces) }
            for r in pieces {
                let key = Array(bytes[r])
                if let w = wordIndex[key] {
                    counts[w] += 1
                } else {
                    wordIndex[key] = words.count
                    words.append(key.map { Int32($0) })
                    counts.append(1)
                }
            }
        }
        return (words, counts)
    }

    /// `word` with every adjacent (left, right), left to right, replaced by `merged`.
    private static func merging(_ left: Int32, _ right: Int32, into merged: Int32, in word: [Int32]) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(word.count)
        var k = 0
        while k < word.count {
            if k + 1 < word.count && word[k] == left && word[k + 1] == right {
                out.append(merged)
                k += 2
            } else {
                out.append(word[k])
                k += 1
            }
        }
        return out
    }
}

extension Tokenizer {
    /// The pieces BPE sees for `text` (added tokens, normalizer and pre-tokenizer applied), as
    /// text before byte mapping; added tokens appear as their content. For tests and debugging.
    public func preTokenizedPieces(_ text: String) -> [String] {
        var out: [String] = []
        let bytes = Array(text.utf8)
        func pieces(_ t: [UInt8], _ atStart: Bool) {
            let (buffer, ranges) = preTokenizeForInspection(t, atTextStart: atStart)
            for r in ranges { out.append(String(decoding: buffer[r], as: UTF8.self)) }
        }
        for segment in addedSplitForInspection(bytes) {
            switch segment {
            case .token(let id): out.append(token(of: id) ?? "")
            case .text(let r): pieces(Array(bytes[r]), r.lowerBound == 0)
            }
        }
        return out
    }
}
