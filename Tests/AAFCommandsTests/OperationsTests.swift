import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension SFTPSetup {
    /// Starts `aafd run` with a systemd-like environment; stderr goes to `daemon.log`.
    func startDaemon(notify: NotifyListener, watchdogMicroseconds: Int = 1_000_000) throws -> ChildProcess {
        let log = open(cli.temp.write("daemon.log", ""), O_WRONLY | O_APPEND)
        defer { close(log) }
        return try ChildProcess(
            Paths.aafdBinary,
            ["run", "--config", cli.config],
            environment: [
                "PATH": "/usr/bin:/bin", "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": String(watchdogMicroseconds),
            ],
            stderr: log
        )
    }

    var daemonLog: String { (try? String(contentsOfFile: cli.temp.file("daemon.log"), encoding: .utf8)) ?? "" }

    func lastSuccess() throws -> String? {
        let status = try cli.json(["status", "--config", cli.config, "--json"])
        return (status["last_success"] as? [String: Any])?["extract_date"] as? String
    }

    func waitForSuccess(_ date: String, timeout: Double) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try lastSuccess() == date { return true }
            usleep(100_000)
        }
        return false
    }

    /// A delivery big enough for an import to be cut in the middle.
    func dropBig(date: ExtractDate, pupils: Int = 6000) throws {
        try writeSyntheticDelivery(
            pupils: pupils,
            schools: 4,
            seed: 8,
            date: date,
            partSize: 1000,
            to: server.remoteDirectory
        )
    }
}

/// Waits for a child with a deadline; returns its status, or nil (and kills it) when it did not exit in time.
func waitExit(_ child: ChildProcess, timeout: Double) -> Int32? {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if !child.isRunning { return child.wait() }
        usleep(20_000)
    }
    child.signal(SIGKILL)
    child.wait()
    return nil
}

@Suite("Daemon and cron against a real sshd", .enabled(if: SSHServer.available, "needs root and openssh-server"))
struct DaemonTests {
    @Test("aafd run: READY, catch-up import at start, WATCHDOG at half of WATCHDOG_USEC, SIGTERM → STOPPING, exit 0")
    func notifyAndCatchUp() throws {
        let metrics = TemporaryDirectory("metrics")
        let s = try SFTPSetup(
            extra: "\n[schedule]\ntime = \"03:00\"\n[metrics]\ntextfile = \"\(metrics.file("aafd.prom"))\"\n"
        )
        try s.drop("20250901")
        let notify = try NotifyListener(in: s.cli.temp)
        let daemon = try s.startDaemon(notify: notify)
        #expect(notify.waitFor("READY=1", timeout: 15), "\(s.daemonLog)")
        // No success yet, so the last scheduled run (03:00) was missed: catch up at once (R20).
        #expect(try s.waitForSuccess("2025-09-01", timeout: 30), "\(s.daemonLog)")
        #expect(notify.waitFor("WATCHDOG=1", timeout: 5))
        #expect(notify.received.contains { $0.contains("STATUS=next run") })
        // Idle until tomorrow, the loop still beats often enough for a short watchdog (1 s here): pings go on. Found
        // under a real systemd with WatchdogSec=3s, where the 30 s idle sleep got the service killed (issue 15).
        Thread.sleep(forTimeInterval: 2)
        let before = notify.received.filter { $0.contains("WATCHDOG=1") }.count
        Thread.sleep(forTimeInterval: 2)
        let idlePings = notify.received.filter { $0.contains("WATCHDOG=1") }.count - before
        #expect(idlePings >= 3, "only \(idlePings) WATCHDOG=1 in 2 s of idling with WATCHDOG_USEC = 1 s")
        // Metrics written after the run, atomically, counts only, 0600 by default.
        let prom = try String(contentsOfFile: metrics.file("aafd.prom"), encoding: .utf8)
        #expect(prom.contains("aafd_directory_entries{category=\"students\"} 60"))
        #expect(prom.contains("aafd_last_run_outcome{outcome=\"imported\"} 1"))
        #expect(prom.contains("aafd_incident_open 0"))
        #expect(
            (try FileManager.default.attributesOfItem(atPath: metrics.file("aafd.prom"))[.posixPermissions] as? Int)
                == 0o600
        )
        let stoppedAt = Date()
        daemon.signal(SIGTERM)
        let status = waitExit(daemon, timeout: 10)
        #expect(status == 0)
        #expect(Date().timeIntervalSince(stoppedAt) < 10)
        #expect(notify.waitFor("STOPPING=1", timeout: 1))
    }

    @Test("SIGTERM while the daemon fetches and imports: exit 0 within 10 s, the directory whole (empty or complete)")
    func sigtermDuringRun() throws {
        let s = try SFTPSetup(extra: "\n[schedule]\ntime = \"03:00\"\n")
        try s.dropBig(date: ExtractDate(year: 2025, month: 9, day: 2)!)
        let notify = try NotifyListener(in: s.cli.temp)
        // No success yet: the daemon catches up at once, and is stopped in the middle of it.
        let daemon = try s.startDaemon(notify: notify)
        #expect(notify.waitFor("READY=1", timeout: 15))
        usleep(600_000)
        let stoppedAt = Date()
        daemon.signal(SIGTERM)
        let status = waitExit(daemon, timeout: 10)
        #expect(status == 0, "\(s.daemonLog)")
        #expect(Date().timeIntervalSince(stoppedAt) < 10)
        let students =
            (try s.cli.json(["status", "--config", s.cli.config, "--json"])["directory"] as? [String: Any])?["students"]
            as? Int
        #expect(students == 0 || students == 6000, "a partial import is visible: \(students ?? -1)")
        #expect(try SQLiteShell.run(s.cli.database, "PRAGMA integrity_check;") == "ok")
    }

    @Test("cron and daemon together: exactly one imports, the other waits (75) or retries later")
    func cronAndDaemon() throws {
        let s = try SFTPSetup(extra: "\n[schedule]\ntime = \"03:00\"\n")
        try s.dropBig(date: ExtractDate(year: 2025, month: 9, day: 1)!, pupils: 4000)
        let notify = try NotifyListener(in: s.cli.temp)
        let daemon = try s.startDaemon(notify: notify)
        #expect(notify.waitFor("READY=1", timeout: 15))
        let cron = try s.importOverSFTP()
        #expect([0, 69, 75].contains(cron.status), "\(cron.stderr)")
        #expect(try s.waitForSuccess("2025-09-01", timeout: 30) || cron.status == 0)
        daemon.signal(SIGTERM)
        #expect(waitExit(daemon, timeout: 10) == 0)
        #expect(
            try SQLiteShell.run(s.cli.database, "SELECT count(*) FROM import_runs WHERE outcome = 'imported'") == "1"
        )
        if cron.status == 75 { #expect(cron.stderr.contains("another aafd run")) }
    }

    @Test("SIGHUP with an invalid configuration keeps the old one; a valid one is reloaded")
    func reload() throws {
        let s = try SFTPSetup(extra: "\n[schedule]\ntime = \"03:00\"\n")
        let notify = try NotifyListener(in: s.cli.temp)
        let daemon = try s.startDaemon(notify: notify)
        #expect(notify.waitFor("READY=1", timeout: 15))
        let good = try String(contentsOfFile: s.cli.config, encoding: .utf8)
        try (good + "\n[nonsense]\n").write(toFile: s.cli.config, atomically: false, encoding: .utf8)
        daemon.signal(SIGHUP)
        usleep(800_000)
        #expect(daemon.isRunning)
        #expect(s.daemonLog.contains("reload failed"))
        try good.replacingOccurrences(of: "time = \"03:00\"", with: "time = \"04:00\"").write(
            toFile: s.cli.config,
            atomically: false,
            encoding: .utf8
        )
        daemon.signal(SIGHUP)
        usleep(800_000)
        #expect(s.daemonLog.contains("configuration reloaded"))
        daemon.signal(SIGTERM)
        #expect(waitExit(daemon, timeout: 10) == 0)
    }
}

@Suite("Incidents, alerts, SIGTERM and check-config")
struct IncidentTests {
    /// A copy of a fixture day with its last guardian part cut in half (refused: not well-formed).
    func brokenDay(_ cli: CLI, _ compact: String) throws -> String {
        let folder = cli.temp.file("broken-\(compact)-\(UUID().uuidString.prefix(4))")
        try FileManager.default.copyItem(
            atPath: Paths.fixtures.appendingPathComponent("ent1d/\(compact)").path,
            toPath: folder
        )
        let path = folder + "/ENT1D_Complet_\(compact)_PersRelEleve_0002.xml"
        let data = FileManager.default.contents(atPath: path)!
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        return folder
    }

    @Test(
        "R19: a refused run opens an incident shown by status; the alert runs exactly once; the next success closes it"
    )
    func alertOnce() throws {
        let alerts = TemporaryDirectory("alerts")
        let log = alerts.file("alerts.log")
        let cli = CLI(
            extra:
                "[alert]\ncommand = \"echo \\\"$AAFD_INCIDENT_ID $AAFD_OUTCOME $AAFD_EXTRACT_DATE $AAFD_REASON\\\" >> \(log)\"\n"
        )
        let first = try cli.run(["import", "--config", cli.config, "--from-dir", try brokenDay(cli, "20250901")])
        #expect(first.status == 65)
        var status = try cli.json(["status", "--config", cli.config, "--json"])
        let incident = try #require(status["incident"] as? [String: Any])
        #expect(incident["outcome"] as? String == "refused")
        #expect((incident["opened_at"] as? String)?.isEmpty == false)
        #expect(try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").count == 1)
        // Still refused: the same incident, no second alert.
        #expect(
            try cli.run(["import", "--config", cli.config, "--from-dir", try brokenDay(cli, "20250901")]).status == 65
        )
        #expect(try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").count == 1)
        // A success closes it.
        #expect(try cli.importDay("20250901").status == 0)
        status = try cli.json(["status", "--config", cli.config, "--json"])
        #expect(status["incident"] is NSNull)
        // A new failure: a new incident, a new alert.
        #expect(
            try cli.run(["import", "--config", cli.config, "--from-dir", try brokenDay(cli, "20250902")]).status == 65
        )
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[1].contains("refused 2025-09-02"))
        // R15: the alert carries no personal data.
        for p in Scenario.base.pupils { #expect(!lines.joined().contains(p.surname)) }
        let human = try cli.run(["status", "--config", cli.config])
        #expect(human.stdout.contains("OPEN INCIDENT since"))
    }

    @Test(
        "the alert command gets a clean environment: no CREDENTIALS_DIRECTORY, NOTIFY_SOCKET or other inherited variable"
    )
    func alertEnvironment() throws {
        let alerts = TemporaryDirectory("alert-env")
        let log = alerts.file("env.txt")
        let cli = CLI(extra: "[alert]\ncommand = \"env > \(log)\"\n")
        let result = try runProgram(
            Paths.aafdBinary,
            ["import", "--config", cli.config, "--from-dir", try brokenDay(cli, "20250901")],
            environment: [
                "PATH": "/usr/bin:/bin", "CREDENTIALS_DIRECTORY": alerts.path, "NOTIFY_SOCKET": "/run/x",
                "WATCHDOG_USEC": "1",
                "SECRET_OF_THE_HOST": "x",
            ]
        )
        #expect(result.status == 65)
        let env = try String(contentsOfFile: log, encoding: .utf8)
        for leaked in ["CREDENTIALS_DIRECTORY", "NOTIFY_SOCKET", "WATCHDOG_USEC", "SECRET_OF_THE_HOST"] {
            #expect(!env.contains(leaked + "="), "\(leaked) reached the alert command")
        }
        #expect(env.contains("AAFD_INCIDENT_ID="))
        #expect(env.contains("PATH="))
    }

    @Test("SIGTERM in the middle of an import: exit 0, the previous state intact, the run journaled as stopped")
    func sigtermMidImport() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let folder = cli.temp.folder("big")
        try writeSyntheticDelivery(
            pupils: 6000,
            schools: 6,
            seed: 9,
            date: ExtractDate(year: 2025, month: 9, day: 2)!,
            partSize: 500,
            to: folder
        )
        var stoppedMidway = 0
        for delay in [0.15, 0.3, 0.45, 0.6] {
            let child = try ChildProcess(
                Paths.aafdBinary,
                ["import", "--config", cli.config, "--from-dir", folder, "--accept-departures"]
            )
            usleep(useconds_t(delay * 1_000_000))
            child.signal(SIGTERM)
            // Under a sanitizer the binary runs several times slower: the stop must still come, later.
            let status = waitExit(
                child,
                timeout: ProcessInfo.processInfo.environment["AAFD_SANITIZER"] == nil ? 10 : 120
            )
            #expect(status == 0)
            let students =
                (try cli.json(["status", "--config", cli.config, "--json"])["directory"] as? [String: Any])?["students"]
                as? Int
            if students == 6000 { break }
            #expect(students == 60)
            stoppedMidway += 1
        }
        #expect(stoppedMidway >= 1)
        #expect(
            (Int(try SQLiteShell.run(cli.database, "SELECT count(*) FROM import_runs WHERE reason LIKE 'stopped%'"))
                ?? 0) >= 1
        )
        // Stopping is not an incident.
        #expect(try cli.json(["status", "--config", cli.config, "--json"])["incident"] is NSNull)
    }

    @Test(
        "check-config: OK for a usable configuration; 78 listing each problem",
        .enabled(if: SSHServer.available, "needs root and openssh-server")
    )
    func checkConfig() throws {
        let s = try SFTPSetup()
        let ok = try s.cli.run(["check-config", "--config", s.cli.config])
        #expect(ok.status == 0, "\(ok.stderr)")
        chmod(s.key, 0o640)
        try "".write(toFile: s.server.knownHosts, atomically: false, encoding: .utf8)
        let bad = try s.cli.run(["check-config", "--config", s.cli.config])
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("2 problem(s)"))
        #expect(bad.stderr.contains("chmod 600"))
        #expect(bad.stderr.contains("no entry for [127.0.0.1]:\(s.server.port)"))
    }
}
