import AAFFileSystem
import AAFModel
import AAFStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The node_exporter textfile (`[metrics] textfile`): gauges of the last run and of the directory, counts only
/// (R15). Written atomically: a temporary file beside it, then a rename.
struct MetricsFile {
    let path: String
    let mode: mode_t

    /// The file's text after a run.
    static func text(_ outcome: RunOutcome, store: DirectoryStore, now: Date) throws -> String {
        let counts = try store.counts()
        let success = try store.journal(limit: 1, outcome: .imported).first
        let successTime =
            success.flatMap { ISO8601DateFormatter().date(from: $0.finishedAt)?.timeIntervalSince1970 } ?? 0
        let incident = try store.incidents.open()
        let duration = outcome.reports.reduce(0) { $0 + $1.durationMilliseconds }
        var lines: [String] = []
        func gauge(_ name: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            lines += ["# HELP \(name) \(help)", "# TYPE \(name) gauge"]
            lines += samples.map { "\(name)\($0.labels) \($0.value)" }
        }
        gauge(
            "aafd_last_success_timestamp_seconds",
            "End of the last successful import.",
            [("", "\(Int(successTime))")]
        )
        gauge(
            "aafd_last_run_outcome",
            "The last run's outcome (1 for the outcome it had).",
            Outcome.Kind.allCases.map { ("{outcome=\"\($0.rawValue)\"}", $0 == outcome.kind ? "1" : "0") }
        )
        gauge("aafd_last_run_timestamp_seconds", "End of the last run.", [("", "\(Int(now.timeIntervalSince1970))")])
        gauge(
            "aafd_directory_entries",
            "Active entries in the directory, by category.",
            AAFCategory.importOrder.map { ("{category=\"\($0.reportKey)\"}", "\(counts[$0])") }
        )
        gauge("aafd_departed_awaiting_purge", "Departed people not yet purged.", [("", "\(counts.departed)")])
        gauge(
            "aafd_last_import_duration_seconds",
            "Duration of the last run's imports.",
            [("", "\(Double(duration) / 1000)")]
        )
        gauge(
            "aafd_last_run_downloaded_bytes",
            "Bytes downloaded by the last run.",
            [("", "\(outcome.bytesDownloaded)")]
        )
        gauge(
            "aafd_remote_deletions_owed",
            "Downloaded files the server refused to delete, retried every run (R10).",
            [("", "\(outcome.owedDeletions.count)")]
        )
        gauge("aafd_incident_open", "1 while an incident is open (R19).", [("", incident == nil ? "0" : "1")])
        return lines.joined(separator: "\n") + "\n"
    }

    func replace(_ outcome: RunOutcome, store: DirectoryStore, now: Date) throws {
        let text = try MetricsFile.text(outcome, store: store, now: now)
        do {
            try AtomicFile.replace(path, with: Array(text.utf8), mode: mode)
        } catch {
            throw CommandFailure(.ioError, "cannot write \(path): \(error)")
        }
    }
}
