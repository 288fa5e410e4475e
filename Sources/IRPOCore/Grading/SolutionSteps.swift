/// A solution's steps as the step-level tools count them: its lines, each with its line break.
public enum SolutionSteps {
    /// The lines of `text`, each with its line break; a last line without one counts when it is
    /// not empty. Joined, they are `text` again.
    public static func lines(_ text: String) -> [Substring] {
        var out: [Substring] = []
        var start = text.startIndex
        while let end = text[start...].firstIndex(of: "\n") {
            let next = text.index(after: end)
            out.append(text[start..<next])
            start = next
        }
        if start < text.endIndex { out.append(text[start...]) }
        return out
    }
}
