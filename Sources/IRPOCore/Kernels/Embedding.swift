/// Token embedding: out (N,C) = table[tokens] row by row.
func embeddingForward(out: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>, tokens: [Int32], channels C: Int) {
    for (i, token) in tokens.enumerated() { (out + i * C).update(from: table + Int(token) * C, count: C) }
}

/// Backward of `embeddingForward`: dtable[token] += dout row, the rows of one token added in
/// token order (columns split across threads, so every sum keeps that order).
func embeddingBackward(dtable: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, tokens: [Int32], channels C: Int) {
    tokens.withUnsafeBufferPointer { tok in
        parallelFor(C, grain: 32) { cols in
            for i in 0..<tok.count {
                let row = dtable + Int(tok[i]) * C, src = dout + i * C
                for col in cols { row[col] += src[col] }
            }
        }
    }
}
