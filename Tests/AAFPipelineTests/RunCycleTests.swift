import AAFFixtures
import AAFModel
import AAFPipeline
import AAFStore
import AAFTestSupport
import Foundation
import Synchronization
import Testing

/// The run cycle in-process (issue 11): fetch-less imports, incident, alert, purge and metrics with an injected
/// clock and recorded output, no aafd binary in between.
@Suite("The run cycle, in-process")
struct RunCycleTests {
    /// Settings for a cycle over the harness's database: a fixed clock, an alert command that records its
    /// environment, a metrics file.
    private func settings(_ h: Harness, now: Date) -> RunSettings {
        var importSettings = h.settings
        importSettings.now = { now }
        return RunSettings(
            sftp: nil,
            spoolDirectory: h.temp.file("state/spool"),
            importSettings: importSettings,
            alertCommand: "env | grep ^AAFD_ | sort > \(h.temp.file("alert.env"))",
            commune: "Commune de test",
            metricsTextfile: h.temp.file("aafd.prom")
        )
    }

    private func makeCycle(_ h: Harness, _ settings: RunSettings, _ output: RunOutput) throws -> RunCycle {
        RunCycle(settings: settings, store: try h.store, logger: RecordingLogHandler.logger(h.lines), output: output)
    }

    /// A copy of a committed day without its staff file: a Complet refused (R20).
    private func withoutStaff(_ h: Harness, _ day: String) throws -> String {
        let broken = h.copyOfDay(day)
        for name in try FileManager.default.contentsOfDirectory(atPath: broken) where name.contains("PersEducNat") {
            try FileManager.default.removeItem(atPath: broken + "/" + name)
        }
        return broken
    }

    /// What the cycle wrote for people.
    private final class Recorded: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func add(_ line: String) { lines.withLock { $0.append(line) } }
    }

    private func recordingOutput() -> (RunOutput, Recorded) {
        let recorded = Recorded()
        let output = RunOutput(
            result: { recorded.add("result: " + $0) },
            note: { recorded.add("note: " + $0) },
            progress: { text in if let text { recorded.add("progress: " + text) } }
        )
        return (output, recorded)
    }

    @Test(
        "a refused delivery opens an incident, runs the alert once with no personal data, writes the metrics; the next import closes it"
    )
    func refusedThenImported() throws {
        let h = Harness()
        let clock = ISO8601DateFormatter().date(from: "2025-09-03T06:00:00Z")!
        let (output, lines) = recordingOutput()
        let cycle = try makeCycle(h, settings(h, now: clock), output)
        // The 2025-09-02 delivery without its staff file: refused (R20), the directory untouched.
        let broken = try withoutStaff(h, "20250902")
        var refused = cycle.importFolder(broken, ImportOptions(), show: { _ in }, showFailure: { _ in })
        #expect(refused.kind == .refused)
        #expect(ExitStatus(for: refused.outcome) == .dataError)
        #expect(refused.rule == .r20)
        refused = cycle.finish(refused)
        let incident = try #require(try h.store.incidents.open())
        #expect(incident.outcome == "refused" && incident.rule == "R20" && incident.alerted)
        let env = try String(contentsOfFile: h.temp.file("alert.env"), encoding: .utf8)
        #expect(env.contains("AAFD_OUTCOME=refused"))
        #expect(env.contains("AAFD_RULE=R20"))
        #expect(env.contains("AAFD_COMMUNE=Commune de test"))
        #expect(env.contains("AAFD_INCIDENT_OPENED_AT=2025-09-03T06:00:00Z"), "the injected clock dates the incident")
        for pupil in Scenario.base.pupils.prefix(20) { #expect(!env.contains(pupil.surname)) }
        let metrics = try String(contentsOfFile: h.temp.file("aafd.prom"), encoding: .utf8)
        #expect(metrics.contains("aafd_last_run_outcome{outcome=\"refused\"} 1"))
        #expect(metrics.contains("aafd_incident_open 1"))
        #expect(metrics.contains("aafd_last_run_timestamp_seconds \(Int(clock.timeIntervalSince1970))"))
        // A second refusal of the same kind does not run the alert again (R19: once per incident).
        try FileManager.default.removeItem(atPath: h.temp.file("alert.env"))
        cycle.finish(cycle.importFolder(broken, ImportOptions(), show: { _ in }, showFailure: { _ in }))
        #expect(!FileManager.default.fileExists(atPath: h.temp.file("alert.env")))

        // The whole delivery: imported, the incident closed, the gauges follow.
        var imported = cycle.importFolder(h.day("20250902"), ImportOptions(), show: { _ in }, showFailure: { _ in })
        #expect(imported.kind == .imported && ExitStatus(for: imported.outcome) == .ok)
        imported = cycle.finish(imported)
        #expect(ExitStatus(for: imported.outcome) == .ok)
        #expect(try h.store.incidents.open() == nil)
        let after = try String(contentsOfFile: h.temp.file("aafd.prom"), encoding: .utf8)
        #expect(after.contains("aafd_last_run_outcome{outcome=\"imported\"} 1"))
        #expect(after.contains("aafd_incident_open 0"))
        #expect(after.contains("aafd_directory_entries{category=\"students\"} \(try h.store.counts()[.pupil])"))
        #expect(lines.all.contains { $0.hasPrefix("progress: importing: ") })
    }

    @Test("without [sftp], a fetch is a configuration error (78), not an incident of the server")
    func noSFTP() throws {
        let h = Harness()
        let (output, _) = recordingOutput()
        let cycle = RunCycle(
            settings: settings(h, now: Date()),
            store: try h.store,
            logger: RecordingLogHandler.logger(h.lines),
            output: output
        )
        let outcome = cycle.fetchAndImport(ImportOptions(), show: { _ in })
        #expect(outcome.kind == .denied)
        #expect(ExitStatus(for: outcome.outcome) == .config)
        #expect(outcome.message?.contains("no [sftp] section") == true)
    }

    @Test(
        "[hooks] after_import runs after a run that imported, with the change feed's cursor range; not after a refusal"
    )
    func afterImportHook() throws {
        let h = Harness()
        var runSettings = settings(h, now: Date())
        runSettings.afterImportCommand = "env | grep ^AAFD_ | sort > \(h.temp.file("hook.env"))"
        let (output, _) = recordingOutput()
        let cycle = try makeCycle(h, runSettings, output)
        let broken = try withoutStaff(h, "20250901")
        cycle.finish(cycle.importFolder(broken, ImportOptions(), show: { _ in }, showFailure: { _ in }))
        #expect(!FileManager.default.fileExists(atPath: h.temp.file("hook.env")))
        cycle.finish(cycle.importFolder(h.day("20250901"), ImportOptions(), show: { _ in }, showFailure: { _ in }))
        let env = try String(contentsOfFile: h.temp.file("hook.env"), encoding: .utf8)
        let to = try h.store.changeFeed.window().current
        #expect(to > 0)
        #expect(env.contains("AAFD_CURSOR_FROM=0\n"))
        #expect(env.contains("AAFD_CURSOR_TO=\(to)\n"))
        #expect(env.contains("AAFD_EXTRACT_DATE=2025-09-01"))
        #expect(env.contains("AAFD_DELIVERIES=1"))
    }
}
