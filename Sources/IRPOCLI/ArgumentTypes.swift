import ArgumentParser
import IRPOCore

/// `--task gsm8k|math|arc|regex`.
extension GradingTask: ExpressibleByArgument {}

/// `--dtype auto|f32|bf16`.
extension WeightTypeChoice: ExpressibleByArgument {}

/// `--shard I/N`.
extension Shard: ExpressibleByArgument {
    public init?(argument: String) { self.init(text: argument) }
    /// `--help` shows the default as it is typed, "0/1", not as Swift prints the struct.
    public var defaultValueDescription: String { "\(index)/\(count)" }
}
