import IRPOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream into lines: `\n` ends a line, a `\r` before it is dropped, a last line
/// without newline still counts, and a line may be longer than any buffer (the buffer grows).
public final class LineReader {
    private let source: DecompressingReader
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var eof = false
    /// The 1-based number of the line last returned.
    public private(set) var lineNumber = 0

    /// Reads lines from an open input.
    public init(source: DecompressingReader, bufferSize: Int = 1 << 20) {
        self.source = source
        buffer = .allocate(byteCount: max(bufferSize, 16), alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The next line without its terminator, valid until the next call; nil at end of input.
    public func nextLine() throws -> UnsafeBufferPointer<UInt8>? {
        var scanned = 0  // bytes after `start` already known to hold no newline
        while true {
            let from = start + scanned
            if from < end, let hit = memchr(buffer.baseAddress! + from, 0x0A, end - from) {
                let nl = buffer.baseAddress!.distance(to: UnsafeMutableRawPointer(hit))
                let line = slice(start, nl)
                start = nl + 1
                lineNumber += 1
                return line
            }
            scanned = end - start
            if eof {
                guard start < end else { return nil }
                let line = slice(start, end)
                start = end
                lineNumber += 1
                return line
            }
            try refill()
        }
    }

    private func slice(_ from: Int, _ to: Int) -> UnsafeBufferPointer<UInt8> {
        var stop = to
        if stop > from, buffer[stop - 1] == 0x0D { stop -= 1 }
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        return UnsafeBufferPointer(start: base + from, count: stop - from)
    }

    /// Moves the unfinished line to the front, grows the buffer when that line fills it, reads more.
    private func refill() throws {
        let pending = end - start
        if start > 0 {
            if pending > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: pending) }
            start = 0
            end = pending
        }
        if end == buffer.count {
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
            bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: end)
            buffer.deallocate()
            buffer = bigger
        }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
        if n == 0 { eof = true } else { end += n }
    }
}
