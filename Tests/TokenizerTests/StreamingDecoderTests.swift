import Foundation
import Testing
import IRPOCore

/// The streaming decoder prints whole characters only and adds up to the full decode.
@Suite struct StreamingDecoderTests {
    func stream(_ t: Tokenizer, _ ids: [Int32]) -> [String] {
        var d = StreamingDecoder(tokenizer: t)
        var out = ids.map { d.push($0) }
        out.append(d.finish())
        return out
    }

    @Test func holdsBackSplitCharacters() {
        let t = Tokenizer.byteLevel()
        // "a😀b": 😀 is F0 9F 98 80, one byte per token.
        let parts = stream(t, t.encode("a😀b"))
        #expect(parts == ["a", "", "", "", "😀", "b", ""])
    }

    @Test func concatenationEqualsDecode() throws {
        let sp = try SentencePieceBPETests.make(SentencePieceBPETests.json())
        for t in [Tokenizer.byteLevel(), RoundTripTests.trained, sp] {
            for text in Support.edgeCases + ["hello world h€llo", "  two leading spaces"] {
                let ids = t.encode(text)
                let parts = stream(t, ids)
                #expect(parts.joined() == t.decode(ids), "\(text.debugDescription)")
                for p in parts { #expect(!p.unicodeScalars.contains("\u{FFFD}") || text.contains("\u{FFFD}")) }
            }
        }
    }

    @Test func finishFlushesAnIncompleteTail() {
        let t = Tokenizer.byteLevel()
        var d = StreamingDecoder(tokenizer: t)
        #expect(d.push(0xE2) == "")
        #expect(d.finish() == "\u{FFFD}")
    }
}
