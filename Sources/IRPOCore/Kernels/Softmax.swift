import Foundation

/// Log-probabilities of targets under row-wise softmax, keeping the probabilities for backward.
/// logits (S,V) are overwritten with softmax(logits); logprob (S) = log p[target].
public func logSoftmaxGather(logprob: UnsafeMutablePointer<Float>, logits: UnsafeMutablePointer<Float>,
                             targets: UnsafePointer<Int32>, rows: Int, vocab V: Int) {
    let lp = SendablePointer(logprob), z = SendablePointer(logits)
    let tg = SendablePointer(UnsafeMutablePointer(mutating: targets))
    parallelFor(rows, grain: 4) { range in
        for i in range {
            let zi = z + i * V
            var m = -Float.infinity
            for j in 0..<V { m = max(m, zi[j]) }
            var sum: Float = 0
            for j in 0..<V { sum += Foundation.exp(zi[j] - m) }
            let lse = m + Foundation.log(sum)
            lp[i] = zi[Int(tg[i])] - lse
            for j in 0..<V { zi[j] = Foundation.exp(zi[j] - lse) }
        }
    }
}

/// Backward of `logSoftmaxGather`: dlogits (S,V) = g ⊙ (onehot(target) − p), with p in place.
public func logSoftmaxGatherBackward(probsToGrad p: UnsafeMutablePointer<Float>, dlogprob: UnsafePointer<Float>,
                                     targets: UnsafePointer<Int32>, rows: Int, vocab V: Int) {
    let z = SendablePointer(p), g = SendablePointer(UnsafeMutablePointer(mutating: dlogprob))
    let tg = SendablePointer(UnsafeMutablePointer(mutating: targets))
    parallelFor(rows, grain: 4) { range in
        for i in range {
            let zi = z + i * V, gi = g[i]
            for j in 0..<V { zi[j] = -gi * zi[j] }
            zi[Int(tg[i])] += gi
        }
    }
}

/// Softmax in place over the allowed keys of each query row of one attention block, zero
/// elsewhere. scores (T,T) for block tokens `start..<start+T` of a `PackedBatch`.
func maskedSoftmaxRows(_ scores: UnsafeMutablePointer<Float>, blockSize T: Int, blockStart start: Int,
                       sharedEnd: UnsafePointer<Int32>, branchStart: UnsafePointer<Int32>) {
    let s = SendablePointer(scores)
    let se = SendablePointer(UnsafeMutablePointer(mutating: sharedEnd))
    let bs = SendablePointer(UnsafeMutablePointer(mutating: branchStart))
    parallelFor(T, grain: 16) { range in
        for r in range {
            let row = s + r * T
            let q = start + r
            let sharedHi = Int(se[q]) - start, branchLo = Int(bs[q]) - start
            var m = -Float.infinity
            for j in 0..<sharedHi { m = max(m, row[j]) }
            for j in branchLo...r { m = max(m, row[j]) }
            var sum: Float = 0
            for j in 0..<T {
                if j < sharedHi || (j >= branchLo && j <= r) {
                    let e = Foundation.exp(row[j] - m)
                    row[j] = e
                    sum += e
                } else {
                    row[j] = 0
                }
            }
            let inv = 1 / sum
            for j in 0..<T { row[j] *= inv }
        }
    }
}

/// Softmax backward for one attention block, in place on dP: dS = P ⊙ (dP − Σ_j dP_j P_j).
func softmaxRowsBackward(_ dP: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, blockSize T: Int) {
    let d = SendablePointer(dP), p = SendablePointer(UnsafeMutablePointer(mutating: probs))
    parallelFor(T, grain: 16) { range in
        for r in range {
            let dr = d + r * T, pr = p + r * T
            let inner = dot(dr, pr, r + 1)
            // keys after the query are masked (P = 0) so the dot over 0...r covers every term
            for j in 0..<T { dr[j] = pr[j] * (dr[j] - inner) }
        }
    }
}
