import IRPOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered standard output that only ever holds whole lines, so no output line is half-written.
///
/// A closed pipe (`| head`) ends the process quietly with status 0: SIGPIPE is ignored and
/// EPIPE from write(2) exits. Other write errors (a full disk) are reported and exit 1. Ctrl-C
/// waits for the write in progress (see `Interrupts`), so output never ends in half a line.
public final class LineWriter {
    private let fd: Int32
    private let command: String
    private var buffer: [UInt8] = []
    private let threshold: Int
    private let flushEachLine: Bool

    /// A writer on a file descriptor (standard output by default).
    public init(command: String, fd: Int32 = 1, bufferSize: Int = 1 << 16) {
        self.fd = fd
        self.command = command
        threshold = bufferSize
        // An interactive reader wants each line as soon as it exists.
        flushEachLine = isatty(fd) != 0
        buffer.reserveCapacity(bufferSize + 4096)
        signal(SIGPIPE, SIG_IGN)
        Interrupts.install()
    }

    deinit { flush() }

    /// Writes a record and a newline.
    public func write(_ record: JSONRecord) {
        record.write(into: &buffer)
        endLine()
    }

    /// Writes a JSON value on one line.
    public func write(_ value: JSONValue) {
        JSONSerializer.write(value, into: &buffer)
        endLine()
    }

    /// Writes a line of text; a newline is added.
    public func writeLine(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        endLine()
    }

    /// Writes bytes that form one line; a newline is added.
    public func writeLine(bytes: UnsafeBufferPointer<UInt8>) {
        buffer.append(contentsOf: bytes)
        endLine()
    }

    private func endLine() {
        buffer.append(0x0A)
        if flushEachLine || buffer.count >= threshold { flush() }
    }

    /// Writes out everything buffered.
    public func flush() {
        guard !buffer.isEmpty else { return }
        Interrupts.uninterrupted { writeAll() }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll() {
        buffer.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = posixWrite(fd, raw.baseAddress! + off, raw.count - off)
                if n > 0 { off += n; continue }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno == EPIPE { exit(ExitStatus.success) }
                let reason = n < 0 ? String(cString: strerror(errno)) : "nothing written"
                Diagnostics(command: command).error("write error: \(reason)")
                exit(ExitStatus.failure)
            }
        }
    }
}

/// write(2), reachable from inside a type that has `write` methods of its own.
func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
