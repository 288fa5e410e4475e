/// The toolkit's version, printed by every command's `--version`.
public enum IRPOVersion {
    /// Semantic version of this release.
    public static let string = "0.9.0"
}
