import IRPOCore

/// JSONL records from files or standard input, in order, with their positions.
///
/// Inputs are opened one at a time through `DecompressingReader` (so `.gz`, `.xz`, `.zst` are
/// undone), a file that cannot be opened or read is reported and skipped, a bad line is reported
/// as `command: file:line: reason` and skipped, and blank lines are ignored. Memory holds one line.
public struct JSONLInput {
    /// The paths as given; "-" is standard input, and no paths means standard input.
    public let paths: [String]
    private let diagnostics: Diagnostics

    /// Input from these paths (standard input when empty), reporting problems to `diagnostics`.
    public init(paths: [String], diagnostics: Diagnostics) {
        self.paths = paths.isEmpty ? ["-"] : paths
        self.diagnostics = diagnostics
    }

    /// Calls `body` with each non-blank line's bytes (valid during the call only) and position.
    public func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, InputPosition) throws -> Void) rethrows {
        for path in paths {
            try forEachLine(ofPath: path, body)
        }
    }

    /// Calls `body` with each well-formed record and its position; records that are not JSON
    /// objects are reported and skipped. Errors `body` throws as `RecordFieldError` or
    /// `LineError` are reported at the record's position and processing goes on. `selecting`
    /// sees each non-blank line's 0-based index across all inputs before it is parsed, so a
    /// shard skips (and reports nothing about) the lines other shards own.
    public func forEachRecord(selecting: (Int) -> Bool = { _ in true },
                              _ body: (inout JSONRecord, InputPosition) throws -> Void) rethrows {
        var index = 0
        try forEachLine { line, position in
            defer { index += 1 }
            guard selecting(index) else { return }
            var record: JSONRecord
            do {
                record = try JSONRecord(parsing: line)
            } catch {
                diagnostics.error(at: position, "\(error)")
                return
            }
            do {
                try body(&record, position)
            } catch let e as RecordFieldError {
                diagnostics.error(at: position, e.reason)
            } catch let e as LineError {
                diagnostics.error(at: position, e.reason)
            } catch let e as SamplingError {
                diagnostics.error(at: position, e.description)
            } catch let e as TrainingError {
                diagnostics.error(at: position, e.description)
            } catch let e as RewardError {
                diagnostics.error(at: position, e.description)
            }
        }
    }

    private func forEachLine(ofPath path: String, _ body: (UnsafeBufferPointer<UInt8>, InputPosition) throws -> Void) rethrows {
        let source: DecompressingReader
        do {
            source = try DecompressingReader(path: path)
        } catch {
            diagnostics.unreadable("cannot open " + Self.describe(error, path: path))
            return
        }
        defer { source.close() }
        let reader = LineReader(source: source)
        var first = true
        while true {
            let line: UnsafeBufferPointer<UInt8>
            do {
                guard let l = try reader.nextLine() else { return }
                line = l
            } catch {
                // A corrupt or truncated compressed stream: name where reading stopped.
                let position = InputPosition(file: path, line: reader.lineNumber + 1)
                diagnostics.error(at: position, Self.describe(error, path: nil))
                return
            }
            if Self.isBlank(line) { continue }
            if first, let hint = Self.notJSONL(line) {
                // One message for the whole file rather than one per physical line.
                diagnostics.unreadable("\(DisplayName.of(path)): expected JSONL, one object per line; try \(hint)")
                return
            }
            first = false
            try body(line, InputPosition(file: path, line: reader.lineNumber))
        }
    }

    /// For a first line that opens a JSON array or a pretty-printed object, the jq command that
    /// turns the file into JSONL; nil for anything else.
    static func notJSONL(_ line: UnsafeBufferPointer<UInt8>) -> String? {
        let text = line.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }
        if text.first == UInt8(ascii: "[") { return "`jq -c '.[]'`" }
        if text == [UInt8(ascii: "{")] { return "`jq -c .`" }
        return nil
    }

    static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in line where b != 0x20 && b != 0x09 && b != 0x0D { return false }
        return true
    }

    static func describe(_ error: any Error, path: String?) -> String {
        if let e = error as? InputError {
            return path == nil ? e.message : "\(DisplayName.of(e.path)): \(e.message)"
        }
        return path.map { "\(DisplayName.of($0)): \(error)" } ?? "\(error)"
    }
}

/// A problem with one record that a command found, reported at the record's position.
public struct LineError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, e.g. `no number after "####" in "answer"`.
    public let reason: String

    /// An error with a reason.
    public init(_ reason: String) { self.reason = reason }

    /// The reason.
    public var description: String { reason }
}
