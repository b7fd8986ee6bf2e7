import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Shuts the connection's socket down when a remote call gets no answer for `timeout` seconds, so that a blocked
/// libssh call returns with an error instead of hanging: libssh 0.10's SFTP calls loop on their own poll timeout
/// (ADR 0007). One thread per connection; armed around each call, fed by download progress.
final class Watchdog: Sendable {
    private struct State {
        var last: ContinuousClock.Instant = .now
        var armed = false
        var stopped = false
        var fired = false
    }

    private let state = Mutex(State())
    private let socket: Int32
    private let timeout: Int

    init(socket: Int32, timeout: Int) {
        self.socket = socket
        self.timeout = timeout
        let thread = Thread { [self] in self.watch() }
        thread.name = "aafd-sftp-watchdog"
        thread.start()
    }

    func arm() {
        state.withLock {
            $0.armed = true
            $0.last = .now
        }
    }
    func disarm() { state.withLock { $0.armed = false } }
    func progress() { state.withLock { $0.last = .now } }
    func stop() { state.withLock { $0.stopped = true } }
    var fired: Bool { state.withLock { $0.fired } }

    private func watch() {
        while true {
            Thread.sleep(forTimeInterval: 0.25)
            let fire: Bool? = state.withLock { s in
                if s.stopped { return nil }
                guard s.armed, !s.fired, ContinuousClock.now - s.last > .seconds(timeout) else { return false }
                s.fired = true
                return true
            }
            guard let fire else { return }
            if fire { shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }
}
