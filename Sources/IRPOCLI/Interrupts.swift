import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ctrl-C (SIGINT), SIGTERM and SIGHUP end the process between writes, never inside one, so an
/// interrupted command leaves whole output lines and whole checkpoints, not half of one.
///
/// A signal handler may do almost nothing safely, so it only writes the signal's number to a
/// pipe. A watcher thread reads it, waits until no `uninterrupted` block is running, then ends
/// the process by the same signal with its default action: the shell sees the usual status
/// (130 for Ctrl-C) and a script's loop stops as it would for any other program.
public enum Interrupts {
    /// The signals that end a command and are held off during writes.
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Catches the signals (once per process); a signal ignored when the process started (as
    /// `nohup` and `&` in scripts arrange) stays ignored.
    public static func install() { _ = Watcher.installed }

    /// The line written to standard error when a signal ends the command (a long command keeps
    /// it saying what was saved); nil writes nothing.
    public static var farewell: String? {
        get { uninterrupted { Watcher.shared.farewell } }
        set { uninterrupted { Watcher.shared.farewell = newValue } }
    }

    /// Runs `body` with the signals held off: one arriving meanwhile ends the process right after.
    public static func uninterrupted<T>(_ body: () throws -> T) rethrows -> T {
        let lock = Watcher.shared.lock
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return try body()
    }
}

/// The pipe, the lock and the thread behind `Interrupts`; created once and never released.
private final class Watcher: @unchecked Sendable {
    static let shared = Watcher()

    /// Starts the thread, then points the signals at the handler; by then `shared` exists, so
    /// the handler never runs its initializer.
    static let installed: Void = {
        let watcher = shared
        guard watcher.writeFD >= 0 else { return }  // no pipe: signals keep their default action
        // A process may start with these signals blocked (some test runners and services
        // block them): unblock them, here and so in the watcher thread, or Ctrl-C would be lost.
        var set = sigset_t()
        sigemptyset(&set)
        for s in Interrupts.signals { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        Thread { watcher.watch() }.start()
        for s in Interrupts.signals {
            let old = signal(s, forwardSignal)
            if let old, unsafeBitCast(old, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
                signal(s, SIG_IGN)
            }
        }
    }()

    /// Held during writes; recursive, since a write may call another that holds it off too.
    let lock: UnsafeMutablePointer<pthread_mutex_t>
    /// The handler writes the signal number here; `watch` reads the other end.
    let writeFD: Int32
    /// `Interrupts.farewell`, guarded by `lock`.
    var farewell: String?
    private let readFD: Int32

    private init() {
        lock = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(lock, &attributes)
        pthread_mutexattr_destroy(&attributes)
        var p: [Int32] = [-1, -1]
        if pipe(&p) == 0 {
            _ = fcntl(p[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(p[1], F_SETFD, FD_CLOEXEC)
        }
        readFD = p[0]
        writeFD = p[1]
    }

    /// Waits for a signal, then for the write in progress, then dies by the signal; the lock
    /// stays held so that no new write begins before the process is gone.
    func watch() {
        var number: Int32 = 0
        while true {
            let n = withUnsafeMutableBytes(of: &number) { read(readFD, $0.baseAddress, $0.count) }
            if n == MemoryLayout<Int32>.size { break }
            if n < 0 && errno == EINTR { continue }
            return
        }
        pthread_mutex_lock(lock)
        if let farewell {
            let bytes = Array((farewell + "\n").utf8)
            _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        }
        signal(number, SIG_DFL)
        kill(getpid(), number)
        while true { pause() }
    }
}

/// The signal handler: hands the signal to the watcher thread, the one thing it may safely do.
private func forwardSignal(_ signal: Int32) {
    var s = signal
    let saved = errno
    _ = withUnsafeBytes(of: &s) { write(Watcher.shared.writeFD, $0.baseAddress, $0.count) }
    errno = saved
}
