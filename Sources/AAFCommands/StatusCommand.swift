import AAFModel
import AAFPipeline
import AAFPolicy
import AAFStore
import AAFTransfer
import ArgumentParser
import Foundation
import Logging

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the directory's counts, the last imports, the next run, any open incident. No personal data."
    )

    @OptionGroup var options: GlobalOptions

    @OptionGroup var output: OutputOptions

    func run() throws {
        let configuration = try options.load()
        guard let store = try openStoreForReading(configuration, readOnly: false) else {
            if output.json {
                try printJSON(StatusReport.NoDatabase(database: configuration.databasePath))
            } else {
                print("aafd directory \(configuration.databasePath)\n  \(noDatabaseYet(configuration))")
            }
            return
        }
        let counts = try store.counts()
        let last = try store.journal(limit: 1).first
        let success = try store.journal(limit: 1, outcome: .imported).first
        let incident = try store.incidents.open()
        let owed = try store.owedRemoteDeletions()
        let warnings = configuration.sftp.map { $0.deleteAfterDownload ? [] : [SFTPSettings.keepRemoteWarning] } ?? []
        let nextRun = configuration.schedule.next(after: configuration.importSettings.now())
        var quiet = Logger(label: "aafd.status")
        quiet.logLevel = .warning  // the preview is not an event worth a log line
        // The purge's own code, rolled back; never waits behind another run's write (unknown then).
        store.setBusyTimeout(milliseconds: 200)
        let pending: Int? = try? Purger(
            store: store,
            spool: nil,
            policy: configuration.importSettings.retention,
            logger: quiet
        )
        .run(asOf: configuration.today, executedAt: "", dryRun: true).total
        store.setBusyTimeout(milliseconds: 5000)
        if output.json {
            try printJSON(
                StatusReport(
                    directory: counts,
                    lastImport: .init(
                        outcome: last?.outcome,
                        extractDate: last?.extractDate,
                        finishedAt: last?.finishedAt,
                        reason: last?.reason
                    ),
                    lastSuccess: .init(extractDate: success?.extractDate, finishedAt: success?.finishedAt),
                    incident: incident.map(StatusReport.OpenIncident.init),
                    nextRun: Timestamp.string(nextRun),
                    pendingPurges: pending,
                    remoteDeletionsOwed: owed,
                    warnings: warnings,
                    database: configuration.databasePath
                )
            )
            return
        }
        print("aafd directory \(configuration.databasePath)")
        if let success {
            print("  last success: delivery of \(success.extractDate?.iso ?? "?"), finished \(success.finishedAt)")
        } else {
            print("  last success: none yet")
        }
        if let last {
            print(
                "  last attempt: \(last.outcome.rawValue), delivery of \(last.extractDate?.iso ?? "?"), finished \(last.finishedAt)"
            )
            if last.outcome != .imported, let reason = last.reason { print("    \(reason)") }
        }
        print(
            "  next scheduled run: \(Timestamp.string(nextRun)) (\(String(format: "%02d:%02d", configuration.schedule.hour, configuration.schedule.minute)) \(configuration.schedule.timeZone.identifier)\(configuration.schedule.spreadMinutes > 0 ? " + \(configuration.schedule.offsetSeconds) s, this instance's place in a \(configuration.schedule.spreadMinutes)-minute spread" : ""))"
        )
        if let incident {
            print(
                "  OPEN INCIDENT since \(incident.openedAt): \(incident.outcome)\(incident.rule.map { " (\($0))" } ?? "")\(incident.extractDate.map { ", delivery of \($0.iso)" } ?? "")"
            )
            print("    \(OutsideText.escaped(incident.reason))")
        } else {
            print("  incident: none")
        }
        print("  " + AAFCategory.importOrder.map { "\($0.reportKey) \(counts[$0])" }.joined(separator: ", "))
        print(
            "  departed, awaiting purge: \(counts.departed); purgeable today: \(pending.map(String.init) ?? "unknown (another aafd run is writing)")"
        )
        for w in warnings { print("  WARNING: \(w)") }
        // The DPO's registers (issue 14): numbers only.
        let requests = try store.requests.list(openOnly: true)
        let overdue = requests.filter { $0.isOverdue(on: configuration.today) }.count
        let security = try store.securityIncidents.list().filter { $0.closedAt == nil }
        let nowText = Timestamp.string(configuration.importSettings.now())
        let late = security.flatMap { $0.openDeadlines() }.filter { $0.due < nowText }.count
        print(
            "  rights requests open: \(requests.count)\(overdue > 0 ? " (\(overdue) OVERDUE: aafd request list --overdue)" : "")"
                + "; security incidents open: \(security.count)"
                + (late > 0 ? " (\(late) deadline\(late == 1 ? "" : "s") PASSED: aafd incident list)" : "")
        )
        if !owed.isEmpty {
            print(
                "  REMOTE DELETIONS OWED (R10): \(owed.count) downloaded files the server refused to delete; retried every run"
            )
            for o in owed {
                print(
                    "    \(o.name) (delivery of \(o.extractDate.iso), since \(o.owedSince), \(o.attempts) attempts: \(o.lastError))"
                )
            }
        }
    }
}

/// `status --json`: counts, dates, outcomes, file names; no personal data (R15).
struct StatusReport: Encodable {
    struct LastImport: Encodable {
        @NullEncoded var outcome: ImportOutcome?
        @NullEncoded var extractDate: ExtractDate?
        @NullEncoded var finishedAt: String?
        @NullEncoded var reason: String?
        enum CodingKeys: String, CodingKey {
            case outcome
            case extractDate = "extract_date"
            case finishedAt = "finished_at"
            case reason
        }
    }

    struct LastSuccess: Encodable {
        @NullEncoded var extractDate: ExtractDate?
        @NullEncoded var finishedAt: String?
        enum CodingKeys: String, CodingKey {
            case extractDate = "extract_date"
            case finishedAt = "finished_at"
        }
    }

    struct OpenIncident: Encodable {
        var id: Int
        var openedAt: String
        var outcome: String
        @NullEncoded var rule: String?
        @NullEncoded var extractDate: ExtractDate?
        var reason: String
        var alerted: Bool
        enum CodingKeys: String, CodingKey {
            case id
            case openedAt = "opened_at"
            case outcome, rule
            case extractDate = "extract_date"
            case reason, alerted
        }

        init(_ incident: Incident) {
            id = incident.id
            openedAt = incident.openedAt
            outcome = incident.outcome
            rule = incident.rule
            extractDate = incident.extractDate
            reason = incident.reason
            alerted = incident.alerted
        }
    }

    /// Before the first import: where the database will be.
    struct NoDatabase: Encodable {
        var database: String
        var exists = false
    }

    var directory: DirectoryCounts
    var lastImport: LastImport
    var lastSuccess: LastSuccess
    @NullEncoded var incident: OpenIncident?
    var nextRun: String
    @NullEncoded var pendingPurges: Int?
    /// R10: downloaded files the server refused to delete; names only.
    var remoteDeletionsOwed: [OwedRemoteDeletion]
    var warnings: [String]
    var database: String

    enum CodingKeys: String, CodingKey {
        case directory
        case lastImport = "last_import"
        case lastSuccess = "last_success"
        case incident
        case nextRun = "next_run"
        case pendingPurges = "pending_purges"
        case remoteDeletionsOwed = "remote_deletions_owed"
        case warnings, database
    }
}
