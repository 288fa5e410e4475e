/// Adds `bias` (width) to each of `rows` rows of x (rows, width), in place.
public func biasForward(_ x: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, width: Int) {
    for r in 0..<rows { addInPlace(x + r * width, bias, width) }
}

/// The backward of `biasForward`: adds the column sums of dout (rows, width) to `dbias`, each
/// column summed over the rows in order, so the bits do not depend on the thread count.
public func biasBackward(dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, rows: Int, width: Int) {
    for r in 0..<rows { addInPlace(dbias, dout + r * width, width) }
}
