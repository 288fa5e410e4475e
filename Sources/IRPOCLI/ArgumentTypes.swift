import ArgumentParser
import IRPOCore

/// `--task gsm8k|math|arc|regex`.
extension GradingTask: ExpressibleByArgument {}
