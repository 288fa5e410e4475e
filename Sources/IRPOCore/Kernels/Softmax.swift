import Foundation

/// Log-probabilities of targets under row-wise softmax, keeping the probabilities for backward.
/// logits (S,V) are overwritten with softmax(logits); logprob (S) = log p[target].
public func logSoftmaxGather(logprob: UnsafeMutablePointer<Float>, logits: UnsafeMutablePointer<Float>,
                             targets: UnsafePointer<Int32>, rows: Int, vocab V: Int) {
    parallelFor(rows, grain: 4) { range in
        for i in range {
            let zi = logits + i * V
            let m = maxOf(zi, V)
            let target = zi[Int(targets[i])]
            let sum = expShiftedInPlace(zi, V, shift: m)
            logprob[i] = target - (m + Foundation.log(sum))
            scaleInPlace(zi, V, by: 1 / sum)
        }
    }
}

/// Backward of `logSoftmaxGather`: dlogits (S,V) = g ⊙ (onehot(target) − p), with p in place.
public func logSoftmaxGatherBackward(probsToGrad p: UnsafeMutablePointer<Float>, dlogprob: UnsafePointer<Float>,
                                     targets: UnsafePointer<Int32>, rows: Int, vocab V: Int) {
    parallelFor(rows, grain: 4) { range in
        for i in range {
            let zi = p + i * V, gi = dlogprob[i]
            for j in 0..<V { zi[j] = -gi * zi[j] }
            zi[Int(targets[i])] += gi
        }
    }
}

/// Softmax in place over the allowed keys of each query row of one attention block, zero
/// elsewhere. scores (T,T) for block tokens `start..<start+T` of a `PackedBatch`.
func maskedSoftmaxRows(_ scores: UnsafeMutablePointer<Float>, blockSize T: Int, blockStart start: Int,
                       sharedEnd: UnsafePointer<Int32>, branchStart: UnsafePointer<Int32>) {
    parallelFor(T, grain: 16) { range in
        for r in range {
            let row = scores + r * T
            let q = start + r
            // allowed keys: [0, sharedHi) ∪ [branchLo, r]; everything else becomes 0
            let sharedHi = Int(sharedEnd[q]) - start, branchLo = Int(branchStart[q]) - start
            let m = max(maxOf(row, sharedHi), maxOf(row + branchLo, r + 1 - branchLo))
            let sum = expShiftedInPlace(row, sharedHi, shift: m)
                + expShiftedInPlace(row + branchLo, r + 1 - branchLo, shift: m)
            if branchLo > sharedHi { (row + sharedHi).update(repeating: 0, count: branchLo - sharedHi) }
            (row + r + 1).update(repeating: 0, count: T - r - 1)
            let inv = 1 / sum
            scaleInPlace(row, r + 1, by: inv)
        }
    }
}

/// Softmax backward for one attention block, in place on dP: dS = P ⊙ (dP − Σ_j dP_j P_j).
func softmaxRowsBackward(_ dP: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, blockSize T: Int) {
    parallelFor(T, grain: 16) { range in
        for r in range {
            let dr = dP + r * T, pr = probs + r * T
            // keys after the query are masked (P = 0), so 0...r covers every term and dS is 0 beyond
            let inner = dot(dr, pr, r + 1)
            var j = 0
            let iv = SIMD8<Float>(repeating: inner)
            while j + 8 <= r + 1 { store8(load8(pr, j) * (load8(dr, j) - iv), dr, j); j += 8 }
            while j <= r { dr[j] = pr[j] * (dr[j] - inner); j += 1 }
            (dr + r + 1).update(repeating: 0, count: T - r - 1)
        }
    }
}
