/// GPT-2's reversible byte <-> character table, as HF tokenizers' ByteLevel uses it.
///
/// Printable Latin-1 bytes stand for themselves; the other 68 bytes (controls, space, DEL, NBSP,
/// soft hyphen) are moved, in byte order, to U+0100 onwards so every token is visible text.
package enum ByteLevelAlphabet {
    /// The character that stands for each byte.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b) {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The UTF-8 bytes of each byte's character, precomputed so mapping a piece is a table copy.
    package static let utf8ForByte: [[UInt8]] = scalarForByte.map { Array(String($0).utf8) }

    /// The byte a character stands for, or nil when the character is outside the table.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = scalar.value
        if v < 256 {
            if (33...126).contains(v) || (161...172).contains(v) || (174...255).contains(v) { return UInt8(v) }
            return nil
        }
        if v < 256 + 68 { return reverseHigh[Int(v - 256)] }
        return nil
    }

    private static let reverseHigh: [UInt8] = {
        var r = [UInt8](repeating: 0, count: 68)
        for b in 0..<256 where scalarForByte[b].value >= 256 { r[Int(scalarForByte[b].value - 256)] = UInt8(b) }
        return r
    }()

    /// Maps raw bytes to the UTF-8 of their byte-level characters (the form vocab keys take).
    static func mapped<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(contentsOf: utf8ForByte[Int(b)]) }
        return out
    }
}
