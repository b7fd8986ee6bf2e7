import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress display on stderr, only when stderr is a terminal (silent under systemd, cron or a pipe);
/// at most five updates a second. Counts only (R15).
final class TerminalProgress: Sendable {
    static let shared = TerminalProgress()

    private let enabled = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    private let state = Mutex<(last: ContinuousClock.Instant?, shown: Bool)>((nil, false))

    func show(_ text: String) {
        guard enabled else { return }
        let due = state.withLock { s -> Bool in
            if let last = s.last, ContinuousClock.now - last < .milliseconds(200) { return false }
            s.last = .now
            s.shown = true
            return true
        }
        if due { FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8)) }
    }

    /// Shows `text`, or clears the line for nil (RunOutput's progress).
    func show(_ text: String?) {
        if let text { show(text) } else { clear() }
    }

    func clear() {
        guard enabled else { return }
        let shown = state.withLock { s -> Bool in
            defer { s = (nil, false) }
            return s.shown
        }
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
