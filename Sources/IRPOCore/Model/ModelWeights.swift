/// A model's parameters: one contiguous Float buffer, addressed through its `ParameterLayout`.
///
/// A class with manual storage so that kernels get stable raw pointers and a multi-megabyte
/// buffer is never copied by accident.
public final class ModelWeights: @unchecked Sendable {
    public let config: LlamaConfig
    public let layout: ParameterLayout
    /// `layout.count` floats.
    public let data: UnsafeMutablePointer<Float>
    /// Whether some matrices were given back to the system (`DecodeWeights(releasingSource:)`):
    /// such weights can still decode through their packed copy, but not train or be saved.
    public private(set) var matricesReleased = false
    /// The GGUF blocks these weights were read from, which decoding may keep in place of their
    /// f32 values (`DecodeWeights`, which checks they still read back as `data`); nil otherwise.
    var blockRows: GGUFBlockRows?

    /// Zero-filled parameters for `config`.
    public init(config: LlamaConfig) {
        self.config = config
        layout = ParameterLayout(config: config)
        data = HugePages.allocate(floats: layout.count)
    }

    deinit { HugePages.free(data) }

    /// Number of parameters (a tied lm_head counts once).
    public var count: Int { layout.count }

    /// The storage of one tensor.
    public func tensor(_ slot: TensorSlot) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: data + slot.offset, count: slot.count)
    }

    /// The storage of the tensor with this HF name, if the model has it.
    public func tensor(named name: String) -> UnsafeMutableBufferPointer<Float>? {
        layout.slot(named: name).map(tensor)
    }

    /// Gives the pages inside `floats` back to the system; they read as zero afterwards.
    func release(floats range: Range<Int>) {
        matricesReleased = true
        HugePages.discard(data, floats: range)
    }

    /// Marks the weights as missing some matrices' values from the start (a GGUF load that left
    /// block matrices to `DecodeWeights`): like released ones, they decode but do not train.
    func markMatricesReleased() { matricesReleased = true }

    /// A deep copy, for a frozen reference or a checkpoint snapshot.
    public func copy() -> ModelWeights {
        precondition(!matricesReleased, "these weights gave their matrices up for decoding")
        let other = ModelWeights(config: config)
        other.data.update(from: data, count: count)
        return other
    }

    /// The whole buffer as a buffer pointer.
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }
}
