import Foundation

/// Where the bytes of a file being written go: a file on disk or a member of a tar bundle.
protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// One file of a checkpoint, described by its size up front (tar needs it before the data) and
/// produced by streaming, so a model's weights go from their buffer to disk without a copy.
struct OutputFile {
    let name: String
    let size: Int
    let emit: (ByteSink) throws -> Void

    /// A file whose bytes are already in memory.
    static func data(_ name: String, _ data: Data) -> OutputFile {
        OutputFile(name: name, size: data.count) { sink in
            try data.withUnsafeBytes { try sink.write($0) }
        }
    }

    /// Streams the file into `sink`, checking that exactly `size` bytes came out.
    func write(to sink: ByteSink) throws {
        let counter = CountingSink(sink)
        try emit(counter)
        if counter.count != size {
            throw CheckpointError(file: name, "internal error: wrote \(counter.count) bytes, announced \(size)")
        }
    }
}

/// Counts what passes through, to catch a size announced to tar that the data does not match.
private final class CountingSink: ByteSink {
    let inner: ByteSink
    var count = 0
    init(_ inner: ByteSink) { self.inner = inner }
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        count += bytes.count
        try inner.write(bytes)
    }
}

extension TarWriter: ByteSink {}
