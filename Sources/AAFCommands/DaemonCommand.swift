import AAFModel
import AAFPipeline
import AAFPolicy
import AAFStore
import ArgumentParser
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `aafd run`: the daemon (systemd `Type=notify`).
struct DaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run until stopped: fetch and import every day at [schedule] time, catch up at start, purge daily.",
        discussion: """
            Signals: SIGTERM/SIGINT stop (the current transaction is rolled back or finished; exit 0); SIGHUP reloads \
            the configuration (an invalid one is logged and the old one kept). Talks to systemd through $NOTIFY_SOCKET \
            (READY, STATUS, WATCHDOG, STOPPING).
            """
    )

    @OptionGroup var options: GlobalOptions

    func run() throws {
        var configuration = try options.load()
        var logger = options.logger(configuration)
        let notifier = SystemdNotifier()
        let wake = Wake()
        let stop = StopFlag.install { _ in wake.signal() }
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        signal(SIGHUP, SIG_IGN)
        hup.setEventHandler { wake.requestReload() }
        hup.resume()
        let heartbeat = Heartbeat()
        notifier.startWatchdog(heartbeat: heartbeat)

        var state = DaemonState()
        state.nextRun = try firstRun(configuration, logger: logger)
        notifier.send("READY=1\nSTATUS=\(state.statusLine(configuration))")
        logger.info("daemon started", metadata: ["schedule.next": "\(Timestamp.string(state.nextRun))"])

        while !stop() {
            heartbeat.beat()
            if wake.takeReload() {
                do {
                    configuration = try options.load()
                    logger = options.logger(configuration)
                    state.nextRun = min(state.nextRun, configuration.schedule.next(after: Date()))
                    logger.notice("configuration reloaded")
                } catch {
                    logger.error(
                        "configuration reload failed; keeping the previous one",
                        metadata: ["error": "\(error)"]
                    )
                }
                notifier.send("STATUS=\(state.statusLine(configuration))")
            }
            let now = Date()
            if now >= state.nextRun {
                state.nextRun = cycle(configuration, logger: logger, state: &state, stop: stop, heartbeat: heartbeat)
                notifier.send("STATUS=\(state.statusLine(configuration))")
                continue
            }
            wake.wait(until: min(state.nextRun, now.addingTimeInterval(notifier.idleBeat)))
        }
        notifier.send("STOPPING=1\nSTATUS=stopping")
        logger.info("daemon stopped")
    }

    /// Catch-up (R20): when the last successful import ended before the last scheduled time, run at once.
    private func firstRun(_ configuration: Configuration, logger: Logger) throws -> Date {
        let now = Date()
        let store = try openStore(configuration)
        let success = try store.journal(limit: 1, outcome: .imported).first
        let successTime = success.flatMap { ISO8601DateFormatter().date(from: $0.finishedAt) }
        let first = DaemonPlan.firstRun(now: now, schedule: configuration.schedule, lastSuccess: successTime)
        if first.catchingUp { logger.notice("catching up: the last success is older than the last scheduled run") }
        return first.at
    }

    /// One scheduled attempt; returns when to run next.
    private func cycle(
        _ configuration: Configuration,
        logger: Logger,
        state: inout DaemonState,
        stop: @escaping @Sendable () -> Bool,
        heartbeat: Heartbeat
    ) -> Date {
        let now = Date()
        let schedule = configuration.schedule
        let lock: RunLock
        do {
            lock = try RunLock(path: configuration.lockPath)
        } catch {
            // A cron run or an administrator holds the lock: try again in a minute.
            logger.notice("another aafd run holds the lock; retrying in a minute")
            return now.addingTimeInterval(60)
        }
        defer { withExtendedLifetime(lock) {} }
        let store: DirectoryStore
        do {
            store = try openStore(configuration)
        } catch {
            logger.error("cannot open the directory", metadata: ["error": "\(error)"])
            return now.addingTimeInterval(Double(schedule.retryMinutes) * 60)
        }
        SettingsRecord.check(configuration, store: store, logger: logger)
        let beatingStop: @Sendable () -> Bool = {
            heartbeat.beat()
            return stop()
        }
        // The fetch summary's first line goes to the journal; the purge note too.
        let journal: @Sendable (String) -> Void = { text in
            logger.info("\(text.split(separator: "\n").first.map(String.init) ?? "")")
        }
        let cycle = RunCycle(
            settings: configuration.run,
            store: store,
            logger: logger,
            shouldStop: beatingStop,
            output: RunOutput(result: journal, note: journal)
        )
        let outcome = cycle.fetchAndImport(ImportOptions(shouldStop: beatingStop), show: { _ in })
        state.lastOutcome = outcome.kind
        state.lastAttempt = now
        let decision = DaemonPlan.afterRun(
            outcome.kind,
            now: now,
            schedule: schedule,
            retryingSince: state.retryingSince
        )
        state.retryingSince = decision.retryingSince
        switch decision.finish {
        case .none: break
        case .normal: cycle.finish(outcome)
        case .giveUp: cycle.finish(outcome, gaveUpAfterHours: schedule.giveUpAfterHours)
        }
        return decision.next
    }
}

/// What the daemon remembers between cycles.
struct DaemonState {
    var nextRun = Date()
    var lastAttempt: Date?
    var lastOutcome: Outcome.Kind?
    var retryingSince: Date?

    func statusLine(_ configuration: Configuration) -> String {
        var s = "next run \(Timestamp.string(nextRun))"
        if let lastOutcome { s += "; last attempt: \(lastOutcome.rawValue)" }
        if retryingSince != nil { s += " (retrying every \(configuration.schedule.retryMinutes) min)" }
        return s
    }
}

/// Wakes the main loop early: on a stop or reload signal.
final class Wake: Sendable {
    private let condition = NSCondition()
    private let reload = Atomic<Bool>(false)

    func signal() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    func requestReload() {
        reload.store(true, ordering: .relaxed)
        signal()
    }

    func takeReload() -> Bool { reload.exchange(false, ordering: .relaxed) }

    func wait(until date: Date) {
        condition.lock()
        if !StopFlag.isSet, !reload.load(ordering: .relaxed) { _ = condition.wait(until: date) }
        condition.unlock()
    }
}

/// The main loop's last sign of life; the watchdog pinger only pings while it is fresh, so a stuck loop is
/// restarted by systemd instead of being kept alive by a separate thread.
final class Heartbeat: Sendable {
    private let last = Mutex<ContinuousClock.Instant>(.now)
    func beat() { last.withLock { $0 = .now } }
    func age() -> Duration { ContinuousClock.now - last.withLock { $0 } }
}

/// sd_notify: datagrams to `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace), written directly.
final class SystemdNotifier: Sendable {
    private let path: String?
    private let watchdogMicroseconds: Int?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        watchdogMicroseconds = environment["WATCHDOG_USEC"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
    }

    func send(_ message: String) {
        guard let path else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        _ = message.withCString { text in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, text, strlen(text), 0, $0, length) }
            }
        }
    }

    /// How long the idle main loop may sleep between heartbeats: 30 s, or a quarter of the watchdog period when
    /// that is shorter (a loop asleep longer than the period would be killed as stuck: found under a real systemd
    /// with WatchdogSec=3s, issue 15).
    var idleBeat: TimeInterval {
        guard let usec = watchdogMicroseconds else { return 30 }
        return min(30, max(0.05, Double(usec) / 4_000_000))
    }

    /// Pings WATCHDOG=1 at half of `$WATCHDOG_USEC` while the main loop's heartbeat is fresh.
    func startWatchdog(heartbeat: Heartbeat) {
        guard let usec = watchdogMicroseconds else { return }
        let interval = Double(usec) / 2_000_000
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: interval)
                if heartbeat.age() < .microseconds(usec) { self.send("WATCHDOG=1") }
            }
        }
        thread.name = "aafd-watchdog"
        thread.start()
    }
}
