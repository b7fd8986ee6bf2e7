import AAFModel
import AAFPipeline
import AAFStore
import AAFTransfer
import ArgumentParser
import Foundation

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import deliveries into the directory, each in one transaction (all or nothing).",
        discussion: """
            With --from-dir, imports the one delivery in that folder. Without it, fetches every complete delivery \
            waiting on the académie's SFTP server ([sftp]) into the spool, then imports the spool's deliveries \
            oldest first. Exit 0 imported; 65 a delivery was refused (malformed, incomplete, older than the last one, \
            mass-departure guard); 69 server unreachable or no new delivery yet; 75 another aafd run holds the lock; \
            77 host key or key refused; 78 configuration error.
            """
    )

    @OptionGroup var options: GlobalOptions

    @Option(name: .customLong("from-dir"), help: "Folder holding one delivery's files (no SFTP).")
    var fromDirectory: String?

    @Flag(
        name: .customLong("accept-departures"),
        help: "Accept departures beyond the mass-departure threshold (R21) for this run."
    )
    var acceptDepartures = false

    @Flag(name: .customLong("dry-run"), help: "Parse and reconcile, print what would change, commit nothing.")
    var dryRun = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let configuration = try options.load()
        let logger = options.logger(configuration)
        let lock = try RunLock(path: configuration.lockPath)
        defer { withExtendedLifetime(lock) {} }
        // The damage check runs beside the download and the parse, every commit waiting for it (issue 24: as long
        // as an unchanged re-import's own work).
        let store = try openStore(configuration, checkBeside: true)
        if !dryRun { SettingsRecord.check(configuration, store: store, logger: logger) }
        let stop = StopFlag.installForOneShot()
        var runOutput = RunOutput.standard
        runOutput.progress = { TerminalProgress.shared.show($0) }
        // With --json, stdout carries the reports only; the fetch summary goes to stderr.
        if output.json { runOutput.result = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) } }
        let cycle = RunCycle(
            settings: configuration.run,
            store: store,
            logger: logger,
            shouldStop: stop,
            output: runOutput
        )
        let importOptions = ImportOptions(acceptDepartures: acceptDepartures, dryRun: dryRun, shouldStop: stop)
        var outcome: RunOutcome
        if let fromDirectory {
            outcome = cycle.importFolder(
                fromDirectory,
                importOptions,
                show: { try? show($0) },
                showFailure: { if output.json { try? show($0) } }
            )
        } else {
            outcome = cycle.fetchAndImport(importOptions, show: { try? show($0) })
        }
        // A damaged database has committed nothing: said as when found at open, before anything else is recorded.
        try failIfDamaged(configuration, store)
        if !dryRun { outcome = cycle.finish(outcome) }
        let status = ExitStatus(for: outcome.outcome)
        if status != .ok { throw CommandFailure(status, outcome.message ?? outcome.kind.rawValue) }
    }

    private func show(_ report: ImportReport) throws {
        if output.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            writeOutput(safeJSON(try encoder.encode(report)) + "\n")
            return
        }
        print(ReportText.render(report))
    }
}

struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract:
            "Download every complete, not yet imported delivery from the SFTP server into the spool; import nothing.",
        discussion:
            "Exit 0 something downloaded; 69 server unreachable or nothing new; 77 host key or key refused; 78 configuration."
    )

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let configuration = try options.load()
        guard let sftp = configuration.sftp else {
            throw CommandFailure(.config, "\(options.config): no [sftp] section; see Config/aafd.example.toml")
        }
        let lock = try RunLock(path: configuration.lockPath)
        defer { withExtendedLifetime(lock) {} }
        let store = try openStore(configuration)
        let spool = try openSpool(configuration)
        let report: FetchReport
        let fetcher = Fetcher(
            settings: sftp,
            spool: spool,
            store: store,
            logger: options.logger(configuration),
            now: configuration.importSettings.now
        )
        do {
            report = try fetcher.fetch()
        } catch let error as TransferError {
            if !fetcher.partial.downloaded.isEmpty { print(FetchText.render(fetcher.partial)) }
            throw error
        }
        print(FetchText.render(report))
        if !report.owedDeletions.isEmpty {
            throw CommandFailure(
                .remoteNotDeleted,
                RunCycle.owedMessage(report.owedDeletions, host: sftp.host, after: "downloaded")
            )
        }
        if report.downloaded.isEmpty {
            throw CommandFailure(.unavailable, "no new complete delivery on \(sftp.host):\(sftp.remoteDirectory) yet")
        }
    }
}
