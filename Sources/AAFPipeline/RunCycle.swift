import AAFFileSystem
import AAFModel
import AAFStore
import AAFTransfer
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// What one run (fetch + import, or one folder) came to.
public struct RunOutcome: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case imported
        /// Nothing new on the server yet: not an incident before `give_up_after_hours` (daemon).
        case nothingNew = "no-delivery"
        /// The server cannot be reached or stopped answering: retried (daemon).
        case unavailable
        /// A delivery was refused (R21, malformed, incomplete…).
        case refused
        /// The host key or the key was refused (R16, R17), or the configuration is wrong.
        case denied
        case failed
        /// Stopped by SIGTERM/SIGINT before the commit: nothing imported, not an incident.
        case stopped
    }

    public var kind: Kind
    public var status: ExitStatus
    public var message: String?
    public var rule: String?
    public var extractDate: ExtractDate?
    public var reports: [ImportReport] = []
    /// Remote files still owed a deletion after this run (R10); file names only.
    public var owedDeletions: [String] = []
    /// Owed deletions from earlier runs that this run completed.
    public var owedSettled = 0
    public var bytesDownloaded = 0
    public var duration = 0.0

    /// The incident outcome of a run whose remote deletions the server refused (R10).
    public static let remoteDeletionOutcome = "remote-deletion-refused"
    /// The incident outcome of a deletion whose values a reader kept in the database files (R12).
    public static let erasurePendingOutcome = "erasure-pending"

    /// Whether this outcome opens an incident at once (R19). `nothingNew`/`unavailable` only do so when the daemon
    /// gives up on the day.
    public init(
        kind: Kind,
        status: ExitStatus,
        message: String? = nil,
        rule: String? = nil,
        extractDate: ExtractDate? = nil
    ) {
        self.kind = kind
        self.status = status
        self.message = message
        self.rule = rule
        self.extractDate = extractDate
    }

    public var isIncident: Bool { [.refused, .denied, .failed].contains(kind) }
}

/// The steps every run shares, whether from cron (`aafd import`) or the daemon (`aafd run`): fetch and import,
/// then incidents and alert (R19), purge (R6–R11), metrics.
public final class RunCycle {
    let settings: RunSettings
    let store: DirectoryStore
    let logger: Logger
    let shouldStop: @Sendable () -> Bool
    public var output: RunOutput

    public init(
        settings: RunSettings,
        store: DirectoryStore,
        logger: Logger,
        shouldStop: @escaping @Sendable () -> Bool = { false },
        output: RunOutput = .standard
    ) {
        self.settings = settings
        self.store = store
        self.logger = logger
        self.shouldStop = shouldStop
        self.output = output
    }

    private var now: String { Timestamp.string(settings.importSettings.now()) }

    private func importer() -> Importer {
        Importer(store: store, settings: settings.importSettings, logger: logger)
    }

    /// Fetches every pending delivery and imports the spool, oldest first.
    ///
    /// A run can partly succeed; the outcome says which part (Docs/operations.md, "Runs that partly succeed"):
    /// deliveries imported while the server then refused a deletion (exit 76, R10 incident), deliveries waiting in
    /// the spool imported while the server could not be reached or refused the key (the fetch's exit status, the
    /// imports named in the message). The fetch summary is printed whenever the fetch got as far as listing.
    public func fetchAndImport(_ given: ImportOptions, show: (ImportReport) -> Void) -> RunOutcome {
        measured(given) { options in
            guard let sftp = settings.sftp else {
                throw CommandFailure(.config, "no [sftp] section; add one, or import a folder with --from-dir")
            }
            let spool = try openSpool(settings.spoolDirectory)
            var fetched: FetchReport?
            var transferFailure: TransferError?
            let fetcher = Fetcher(
                settings: sftp,
                spool: spool,
                store: store,
                logger: logger,
                shouldStop: shouldStop,
                now: settings.importSettings.now
            )
            do {
                let progress = output.progress
                fetcher.progress = { progress("downloading: \($0 / 1_048_576) MiB") }
                let report = try fetcher.fetch(dryRun: options.dryRun)
                output.progress(nil)
                fetched = report
                output.result(FetchText.render(report))
            } catch let error as TransferError {
                output.progress(nil)
                transferFailure = error
                // What was downloaded (and deleted) before the failure is said all the same.
                if !fetcher.partial.downloaded.isEmpty || fetcher.partial.remoteDeleted > 0 {
                    output.result(FetchText.render(fetcher.partial))
                }
            }
            // Deliveries downloaded earlier (a cut run) are imported even when the server cannot be reached now.
            // A dry run previews them (nothing committed, the spool untouched) and downloaded nothing.
            let results = try SpoolImporter(
                spool: spool,
                importer: importer(),
                today: settings.today,
                logger: logger
            )
            .run(options: options)
            var outcome = RunOutcome(kind: .imported, status: .ok)
            outcome.bytesDownloaded = (fetched ?? fetcher.partial).bytes
            outcome.owedDeletions = try store.owedRemoteDeletions().map(\.name)
            outcome.owedSettled = (fetched ?? fetcher.partial).owedSettled
            var refused: [ImportFailure] = []
            var interrupted: ImportFailure?
            for result in results {
                switch result {
                case .imported(let report):
                    show(report)
                    outcome.reports.append(report)
                case .refused(let failure): refused.append(failure)
                case .interrupted(let failure): interrupted = failure
                }
            }
            let importedNote =
                outcome.reports.isEmpty ? "" : "; imported \(RunCycle.deliveries(outcome.reports.count)) before that"
            if let interrupted {
                // Not the delivery's fault: it waits in the spool for the next run.
                var stopped = RunCycle.outcome(of: interrupted)
                stopped.reports = outcome.reports
                stopped.owedDeletions = outcome.owedDeletions
                stopped.owedSettled = outcome.owedSettled
                stopped.bytesDownloaded = outcome.bytesDownloaded
                stopped.message =
                    interrupted.description + "; the delivery waits in the spool for the next run" + importedNote
                return stopped
            }
            if let first = refused.first {
                outcome.kind = .refused
                outcome.status = .dataError
                outcome.rule = first.report.rule
                outcome.extractDate = first.report.extractDate
                outcome.message =
                    first.description + (refused.count > 1 ? " (and \(refused.count - 1) more refused)" : "")
                    + importedNote
                return outcome
            }
            if let transferFailure {
                var failed = RunCycle.outcome(of: transferFailure)
                failed.reports = outcome.reports
                failed.owedDeletions = outcome.owedDeletions
                failed.bytesDownloaded = outcome.bytesDownloaded
                if !outcome.reports.isEmpty {
                    failed.message =
                        (failed.message ?? "")
                        + "; imported \(RunCycle.deliveries(outcome.reports.count)) already in the spool"
                }
                return failed
            }
            if options.dryRun {
                return outcome
            }
            if results.isEmpty {
                let skipped = fetched?.skipped ?? []
                var nothing = RunOutcome(
                    kind: .nothingNew,
                    status: .unavailable,
                    message: "no new delivery on \(sftp.host):\(sftp.remoteDirectory) yet"
                        + (skipped.isEmpty ? "" : "; " + skipped.joined(separator: "; ")),
                    rule: "R20"
                )
                nothing.owedDeletions = outcome.owedDeletions
                nothing.owedSettled = outcome.owedSettled
                return nothing
            }
            if !outcome.owedDeletions.isEmpty {
                outcome.status = .remoteNotDeleted
                outcome.rule = "R10"
                outcome.message = RunCycle.owedMessage(outcome.owedDeletions, host: sftp.host)
            }
            return outcome
        }
    }

    /// The message of a run that imported while the server kept its copies (R10). File names only.
    public static func owedMessage(_ names: [String], host: String) -> String {
        let shown = names.prefix(8).joined(separator: ", ") + (names.count > 8 ? " and \(names.count - 8) more" : "")
        return
            "imported, but \(host) refused to delete \(names.count) downloaded file\(names.count == 1 ? "" : "s") (\(shown)): "
            + "annexe 4 wants them destroyed once downloaded (R10). Tell the académie; aafd retries the deletion on every run "
            + "(`aafd status` lists what is owed)"
    }

    /// Imports one local folder.
    public func importFolder(
        _ folder: String,
        _ given: ImportOptions,
        show: (ImportReport) -> Void,
        showFailure: (ImportReport) -> Void
    ) -> RunOutcome {
        measured(given) { options in
            do {
                let report = try importer().importDelivery(inDirectory: folder, options: options)
                // R10: a spool delivery imported by hand leaves the spool at once, like any imported one.
                if !options.dryRun, let spool = try? Spool(root: settings.spoolDirectory), spool.contains(folder) {
                    try spool.remove(folder)
                }
                show(report)
                var o = RunOutcome(kind: .imported, status: .ok)
                o.reports = [report]
                return o
            } catch let failure as ImportFailure {
                showFailure(failure.report)
                return RunCycle.outcome(of: failure)
            }
        }
    }

    /// "1 delivery", "3 deliveries".
    static func deliveries(_ count: Int) -> String { "\(count) deliver\(count == 1 ? "y" : "ies")" }

    /// The outcome of an import that did not land: the one mapping from its kind to the run's kind and exit status.
    static func outcome(of failure: ImportFailure) -> RunOutcome {
        let extractDate = failure.report.extractDate
        switch failure.kind {
        case .stopped:
            return RunOutcome(kind: .stopped, status: .ok, message: failure.description, extractDate: extractDate)
        case .refused:
            return RunOutcome(
                kind: .refused,
                status: .dataError,
                message: failure.description,
                rule: failure.report.rule,
                extractDate: extractDate
            )
        case .failed:
            return RunOutcome(kind: .failed, status: .failure, message: failure.description, extractDate: extractDate)
        case .storage:
            return RunOutcome(kind: .failed, status: .ioError, message: failure.description, extractDate: extractDate)
        }
    }

    /// The outcome of a failed transfer: the one mapping from transfer failures to kinds, rules and exit statuses.
    static func outcome(of error: TransferError) -> RunOutcome {
        let kind: RunOutcome.Kind =
            [.hostKey, .authentication, .keyFile].contains(error.code)
            ? .denied : (error.code == .local ? .failed : .unavailable)
        let rule: String? =
            error.code == .hostKey ? "R17" : ([.authentication, .keyFile].contains(error.code) ? "R16" : nil)
        return RunOutcome(kind: kind, status: error.status, message: error.message, rule: rule)
    }

    /// What both entry points share: the progress line, the duration, and every error turned into an outcome.
    private func measured(_ given: ImportOptions, _ body: (ImportOptions) throws -> RunOutcome) -> RunOutcome {
        var options = given
        let progress = output.progress
        options.progress = { progress("importing: \($0) records") }
        defer { output.progress(nil) }
        let started = Elapsed()
        var outcome = classify { try body(options) }
        outcome.duration = started.seconds
        return outcome
    }

    private func classify(_ body: () throws -> RunOutcome) -> RunOutcome {
        do {
            return try body()
        } catch let error as TransferError {
            return RunCycle.outcome(of: error)
        } catch let refusal as PathTrust.Refusal {
            return RunOutcome(kind: .denied, status: .config, message: refusal.message, rule: "R18")
        } catch let failure as CommandFailure {
            return RunOutcome(
                kind: failure.status == .config ? .denied : .failed,
                status: failure.status,
                message: failure.message
            )
        } catch is CancellationError {
            return RunOutcome(kind: .stopped, status: .ok, message: "stopped before the end; nothing was imported")
        } catch {
            return RunOutcome(kind: .failed, status: .failure, message: "\(error)")
        }
    }

    /// After a run: the incident opens (R19) or closes, the alert runs once per incident, the purge runs, the
    /// metrics file is written. `forceIncident` opens one for outcomes that are not incidents by themselves
    /// (the daemon giving up on the day's delivery).
    @discardableResult
    public func finish(_ given: RunOutcome, forceIncident: Bool = false) -> RunOutcome {
        var outcome = given
        do {
            let open = try store.openIncident()
            if outcome.kind == .imported, let open, open.outcome != RunOutcome.remoteDeletionOutcome {
                try store.closeIncident(at: now)
                logger.notice("incident closed by a successful import", metadata: ["incident.id": "\(open.id)"])
            }
            if !outcome.owedDeletions.isEmpty {
                // R10: the server keeps copies it should have destroyed; the commune must tell the académie.
                let (incident, isNew) = try store.raiseIncident(
                    outcome: RunOutcome.remoteDeletionOutcome,
                    rule: "R10",
                    extractDate: nil,
                    reason: RunCycle.owedMessage(outcome.owedDeletions, host: settings.sftp?.host ?? "the server"),
                    at: now
                )
                if isNew {
                    logger.error(
                        "incident opened",
                        metadata: ["incident.id": "\(incident.id)", "incident.outcome": "\(incident.outcome)"]
                    )
                }
                if !incident.alerted { alert(incident) }
            } else if open?.outcome == RunOutcome.remoteDeletionOutcome, outcome.kind != .stopped,
                outcome.kind != .unavailable,
                outcome.kind != .denied
            {
                // The run reached the server and owes nothing any more.
                try store.closeIncident(at: now)
                logger.notice(
                    "incident closed: every owed remote deletion is done (R10)",
                    metadata: ["incident.id": "\(open!.id)"]
                )
            }
            if outcome.kind != .imported, outcome.isIncident || forceIncident {
                let (incident, isNew) = try store.raiseIncident(
                    outcome: outcome.kind.rawValue,
                    rule: outcome.rule,
                    extractDate: outcome.extractDate,
                    reason: outcome.message ?? outcome.kind.rawValue,
                    at: now
                )
                if isNew {
                    logger.error(
                        "incident opened",
                        metadata: ["incident.id": "\(incident.id)", "incident.outcome": "\(incident.outcome)"]
                    )
                }
                if !incident.alerted { alert(incident) }
            }
            var erased = true
            if outcome.kind != .stopped, !shouldStop() {
                let spool = try? Spool(root: settings.spoolDirectory)
                // The purge ends with the erasure of everything deleted so far, this run's import included (R12).
                let result = try Purger(
                    store: store,
                    spool: spool,
                    policy: settings.importSettings.retention,
                    logger: logger
                )
                .run(asOf: settings.today, executedAt: now, dryRun: false)
                if result.total > 0 {
                    output.note("purged \(PurgeText.summary(result))")
                }
                erased = result.erasureComplete
            } else {
                erased = try store.pendingErasures() == 0 && !outcome.reports.contains(where: \.erasurePending)
            }
            outcome = erasureStep(outcome, erased: erased)
        } catch {
            logger.error("after-run steps failed", metadata: ["error": "\(error)"])
        }
        writeMetrics(outcome)
        return outcome
    }

    /// R12: deleted values still in the database files (a reader held it) open an incident and make the run exit
    /// 75; once erased, that incident closes.
    public func erasureStep(_ given: RunOutcome, erased: Bool) -> RunOutcome {
        var outcome = given
        do {
            let open = try store.openIncident()
            if !erased {
                let message = RunCycle.erasureMessage
                let (incident, isNew) = try store.raiseIncident(
                    outcome: RunOutcome.erasurePendingOutcome,
                    rule: "R12",
                    extractDate: nil,
                    reason: message,
                    at: now
                )
                if isNew {
                    logger.error(
                        "incident opened",
                        metadata: ["incident.id": "\(incident.id)", "incident.outcome": "\(incident.outcome)"]
                    )
                }
                if !incident.alerted { alert(incident) }
                if outcome.status == .ok {
                    outcome.status = .tempFail
                    outcome.message = (outcome.kind == .imported ? "imported; but " : "") + message
                }
            } else if let open, open.outcome == RunOutcome.erasurePendingOutcome {
                try store.closeIncident(at: now)
                logger.notice(
                    "incident closed: the pending erasure is complete (R12)",
                    metadata: ["incident.id": "\(open.id)"]
                )
            }
        } catch {
            logger.error("erasure check failed", metadata: ["error": "\(error)"])
        }
        return outcome
    }

    public static let erasureMessage =
        "another process held the database open for reading past erasure_wait_seconds, so deleted values are still in "
        + "the database files (R12); the deletions are committed and aafd completes the erasure on its next run. "
        + "Find the reader (fuser or lsof on the database) if this repeats"

    /// Runs `[alert] command` once for this incident (R19); not marked alerted when it fails, so the next run
    /// tries again.
    private func alert(_ incident: Incident) {
        Alert(settings).raise(incident, store: store, logger: logger)
    }

    /// The node_exporter textfile (counts only, R15).
    public func writeMetrics(_ outcome: RunOutcome) {
        guard let path = settings.metricsTextfile else { return }
        do {
            try MetricsFile(path: path, mode: settings.metricsFileMode)
                .replace(outcome, store: store, now: settings.importSettings.now())
        } catch {
            logger.error("cannot write the metrics file", metadata: ["metrics.path": "\(path)"])
        }
    }
}
