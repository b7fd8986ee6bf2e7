import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT set a flag the long steps check (between record batches and download blocks): the current
/// transaction is rolled back, nothing half-done remains, and the process exits 0 (Docs/operations.md, Signals).
enum StopFlag {
    private static let flag = Atomic<Bool>(false)
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    /// Whether a stop was asked.
    static var isSet: Bool { flag.load(ordering: .relaxed) }

    static func set() { flag.store(true, ordering: .relaxed) }

    /// Installs the handlers (once) and returns the check. `onSignal` also runs on each signal (the daemon wakes up).
    static func install(onSignal: @escaping @Sendable (Int32) -> Void = { _ in }) -> @Sendable () -> Bool {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                StopFlag.set()
                onSignal(sig)
            }
            source.resume()
            sources.append(source)
        }
        return { StopFlag.isSet }
    }

    /// For one-shot commands.
    static func installForOneShot() -> @Sendable () -> Bool { install() }
}
