import Foundation

/// Linear warmup, then a constant rate or a cosine decay to `minRate` at `totalSteps`.
public struct LearningRateSchedule: Sendable, Equatable {
    /// The shape after warmup.
    public enum Shape: String, Sendable, CaseIterable { case constant, cosine }
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var shape: Shape
    public var minRate: Float

    /// A schedule peaking at `peak` after `warmupSteps`.
    public init(peak: Float, warmupSteps: Int = 0, totalSteps: Int, shape: Shape = .constant, minRate: Float = 0) {
        self.peak = peak; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
        self.shape = shape; self.minRate = minRate
    }

    /// The rate for 0-based step `step` (step 0 is the first update).
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        switch shape {
        case .constant:
            return peak
        case .cosine:
            let span = max(1, totalSteps - warmupSteps)
            let progress = min(1, Double(step - warmupSteps) / Double(span))
            return minRate + (peak - minRate) * Float(0.5 * (1 + Foundation.cos(Double.pi * progress)))
        }
    }
}
