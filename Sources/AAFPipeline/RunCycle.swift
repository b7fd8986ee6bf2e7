import AAFFileSystem
import AAFModel
import AAFStore
import AAFTransfer
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

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

    var now: String { Timestamp.string(settings.importSettings.now()) }

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
                return RunOutcome(
                    Outcome(
                        .denied,
                        cause: .configuration,
                        message: "no [sftp] section; add one, or import a folder with --from-dir"
                    )
                )
            }
            let spool = try Spool(root: settings.spoolDirectory)
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
            var outcome = RunOutcome(Outcome(.imported))
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
                outcome.outcome = interrupted.outcome
                outcome.message =
                    interrupted.description + "; the delivery waits in the spool for the next run" + importedNote
                return outcome
            }
            if let first = refused.first {
                outcome.outcome = first.outcome
                outcome.message =
                    first.description + (refused.count > 1 ? " (and \(refused.count - 1) more refused)" : "")
                    + importedNote
                return outcome
            }
            if let transferFailure {
                outcome.outcome = transferFailure.outcome
                outcome.owedSettled = 0
                if !outcome.reports.isEmpty {
                    outcome.message =
                        transferFailure.message
                        + "; imported \(RunCycle.deliveries(outcome.reports.count)) already in the spool"
                }
                return outcome
            }
            if options.dryRun {
                return outcome
            }
            if results.isEmpty {
                let skipped = fetched?.skipped ?? []
                outcome.outcome = Outcome(
                    .nothingNew,
                    cause: .server,
                    message: "no new delivery on \(sftp.host):\(sftp.remoteDirectory) yet"
                        + (skipped.isEmpty ? "" : "; " + skipped.joined(separator: "; ")),
                    rule: .r20
                )
                return outcome
            }
            if !outcome.owedDeletions.isEmpty {
                outcome.outcome = Outcome(
                    .imported,
                    cause: .remoteCopiesKept,
                    message: RunCycle.owedMessage(outcome.owedDeletions, host: sftp.host, after: "imported"),
                    rule: .r10
                )
            }
            return outcome
        }
    }

    /// The message of a run that imported (or downloaded: `after`) while the server kept its copies (R10). File
    /// names only.
    public static func owedMessage(_ names: [String], host: String, after done: String) -> String {
        let shown = names.prefix(8).joined(separator: ", ") + (names.count > 8 ? " and \(names.count - 8) more" : "")
        return
            "\(done), but \(host) refused to delete \(names.count) downloaded file\(names.count == 1 ? "" : "s") (\(shown)): "
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
                var o = RunOutcome(Outcome(.imported))
                o.reports = [report]
                return o
            } catch let failure as ImportFailure {
                showFailure(failure.report)
                return RunOutcome(failure.outcome)
            }
        }
    }

    /// "1 delivery", "3 deliveries".
    static func deliveries(_ count: Int) -> String { "\(count) deliver\(count == 1 ? "y" : "ies")" }

    /// What both entry points share: the progress line, the duration, and every error turned into an outcome.
    private func measured(_ given: ImportOptions, _ body: (ImportOptions) throws -> RunOutcome) -> RunOutcome {
        var options = given
        let progress = output.progress
        options.progress = { progress("importing: \($0) records") }
        defer { output.progress(nil) }
        let started = Elapsed()
        let cursor = try? store.changeFeed.window().current
        var outcome = classify { try body(options) }
        outcome.duration = started.seconds
        outcome.changeCursorBefore = cursor
        return outcome
    }

    /// Errors the steps above let through, each classified once here.
    private func classify(_ body: () throws -> RunOutcome) -> RunOutcome {
        do {
            return try body()
        } catch let error as TransferError {
            return RunOutcome(error.outcome)
        } catch let refusal as PathTrust.Refusal {
            return RunOutcome(Outcome(.denied, cause: .configuration, message: refusal.message, rule: .r18))
        } catch is CancellationError {
            return RunOutcome(Outcome(.stopped, message: "stopped before the end; nothing was imported"))
        } catch {
            return RunOutcome(Outcome(.failed, cause: .internalError, message: "\(error)"))
        }
    }
}
