/// Float buffers carved from one allocation, llm.c style: a plan adds up the sizes, the arena
/// allocates once, and each buffer is a view at its offset. Activations, the backward's scratch
/// and a decode step's buffers are each one arena.
struct ArenaPlan {
    /// Floats taken so far: the arena's size.
    private(set) var count = 0

    /// Reserves `floats` and returns their offset.
    mutating func take(_ floats: Int) -> Int {
        defer { count += floats }
        return count
    }
}

/// One allocation of a plan's floats, zeroed, with views at the plan's offsets.
final class Arena {
    /// Floats held.
    let count: Int
    private let data: UnsafeMutablePointer<Float>

    /// Allocates `plan.count` floats.
    init(_ plan: ArenaPlan) {
        count = plan.count
        data = HugePages.allocate(floats: plan.count)
    }

    deinit { HugePages.free(data) }

    /// The buffer at `offset`.
    subscript(_ offset: Int) -> UnsafeMutablePointer<Float> { data + offset }
}
