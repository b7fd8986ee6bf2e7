import AAFFileSystem
import AAFModel
import AAFParser
import AAFPipeline
import AAFPolicy
import AAFStore
import AAFTransfer
import ArgumentParser
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `aafd`: the daemon and admin CLI of an ENT1D directory.
public struct AAFDCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "aafd",
        abstract: "Import the académie's AAF ENT1D deliveries into a SQLite ENT directory, and answer questions about it.",
        discussion: "Exit codes: 0 ok, 65 delivery refused, 66 not found, 69 unavailable, 74 I/O error, 75 locked, 77 refused by the server, 78 configuration error.",
        subcommands: [
            ImportCommand.self, FetchCommand.self, DaemonCommand.self, StatusCommand.self, HistoryCommand.self, PersonCommand.self,
            PurgeCommand.self, CertificateCommand.self, ConsentCommand.self, CheckConfigCommand.self,
        ]
    )

    public init() {}

    /// Parses `arguments`, runs the command and returns the process exit status. Messages go to stderr,
    /// results to stdout.
    public static func run(_ arguments: [String]) -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return ExitStatus.ok.rawValue
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("aafd: \(failure.message)\n".utf8))
            return failure.status.rawValue
        } catch let refusal as PathTrust.Refusal {
            FileHandle.standardError.write(Data("aafd: \(refusal.message)\n".utf8))
            return ExitStatus.config.rawValue
        } catch {
            let code = exitCode(for: error).rawValue
            if code != 0 {
                FileHandle.standardError.write(Data("\(fullMessage(for: error))\n".utf8))
            } else {
                print(fullMessage(for: error))
            }
            // ArgumentParser's usage errors are EX_USAGE (64).
            return code
        }
    }

    /// Process-wide set-up done once before any command: a strict umask (R18), libxml2, logging to stderr.
    public static func bootstrap() {
        umask(0o077)
        LibXML2Setup.initialize()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["AAFD_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return handler
        }
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (TOML).")
    var config: String = Configuration.defaultPath

    func load() throws -> Configuration {
        try Configuration.load(path: config)
    }

    func logger(_ configuration: Configuration) -> Logger {
        var logger = Logger(label: "aafd")
        if let level = Logger.Level(rawValue: configuration.logLevel),
            ProcessInfo.processInfo.environment["AAFD_LOG_LEVEL"] == nil
        {
            logger.logLevel = level
        }
        return logger
    }
}

/// Opens the directory, mapping failures to exit 74.
func openStore(_ configuration: Configuration) throws -> DirectoryStore {
    do {
        try RunLock.ensureDirectory((configuration.databasePath as NSString).deletingLastPathComponent)
        let store = try DirectoryStore(path: configuration.databasePath)
        store.erasureWait = .seconds(configuration.erasureWaitSeconds)
        return store
    } catch let failure as CommandFailure {
        throw failure
    } catch let refusal as PathTrust.Refusal {
        throw CommandFailure(.config, refusal.message)
    } catch let damaged as DatabaseDamaged {
        // An incident that cannot be recorded in the damaged database: the alert command runs on every attempt.
        if let command = configuration.alertCommand {
            _ = Spawn.shell(
                command,
                environment: [
                    "AAFD_INCIDENT_ID": "", "AAFD_INCIDENT_OPENED_AT": Importer.timestamp(configuration.importSettings.now()),
                    "AAFD_OUTCOME": "database-damaged", "AAFD_RULE": "", "AAFD_EXTRACT_DATE": "", "AAFD_REASON": damaged.description,
                    "AAFD_COMMUNE": configuration.commune,
                ], timeout: 60)
        }
        throw CommandFailure(.ioError, damaged.description)
    } catch let error as SQLiteError where error.isStorageFailure {
        throw CommandFailure(
            .ioError,
            "cannot open the directory database: \(error); check free space on its file system (df -h \((configuration.databasePath as NSString).deletingLastPathComponent)) and the disk; nothing was changed")
    } catch {
        throw CommandFailure(.ioError, "cannot open the directory database: \(error)")
    }
}

/// Opens the directory for a question that changes nothing: never creates or migrates it (a read-only command
/// racing with the first `aafd run` must not create tables). Nil when no database exists yet.
func openStoreForReading(_ configuration: Configuration, readOnly: Bool = true) throws -> DirectoryStore? {
    guard FileManager.default.fileExists(atPath: configuration.databasePath) else { return nil }
    // A first run may be creating it right now: its migrations take milliseconds, so wait a little for them.
    let deadline = ContinuousClock.now + .seconds(5)
    while true {
        do {
            let store = try DirectoryStore(existingAt: configuration.databasePath, readOnly: readOnly)
            store.erasureWait = .seconds(configuration.erasureWaitSeconds)
            return store
        } catch let refusal as PathTrust.Refusal {
            throw CommandFailure(.config, refusal.message)
        } catch let error as StoreError {
            guard ContinuousClock.now < deadline else { throw CommandFailure(.tempFail, error.message) }
            usleep(50_000)
        } catch {
            guard ContinuousClock.now < deadline else { throw CommandFailure(.ioError, "cannot open the directory database: \(error)") }
            usleep(50_000)
        }
    }
}

/// The message of a question asked before any import created the database.
func noDatabaseYet(_ configuration: Configuration) -> String {
    "no directory yet at \(configuration.databasePath): no import has run (aafd import, or the service's first run, creates it)"
}

/// Pretty, key-sorted JSON on stdout.
func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}

// MARK: - import

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

    @Flag(name: .customLong("accept-departures"), help: "Accept departures beyond the mass-departure threshold (R21) for this run.")
    var acceptDepartures = false

    @Flag(name: .customLong("dry-run"), help: "Parse and reconcile, print what would change, commit nothing.")
    var dryRun = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let configuration = try options.load()
        let logger = options.logger(configuration)
        let lock = try RunLock(path: configuration.lockPath)
        defer { withExtendedLifetime(lock) {} }
        let store = try openStore(configuration)
        let stop = StopFlag.installForOneShot()
        let cycle = RunCycle(configuration: configuration, store: store, logger: logger, shouldStop: stop)
        if json { cycle.print = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) } }
        let importOptions = ImportOptions(acceptDepartures: acceptDepartures, dryRun: dryRun, shouldStop: stop)
        var outcome: RunOutcome
        if let fromDirectory {
            outcome = cycle.importFolder(fromDirectory, importOptions, show: { try? show($0) }, showFailure: { if json { try? show($0) } })
        } else {
            outcome = cycle.fetchAndImport(importOptions, show: { try? show($0) })
        }
        if !dryRun { outcome = cycle.finish(outcome) }
        if outcome.status != .ok, let message = outcome.message {
            throw CommandFailure(outcome.status, message)
        }
    }

    private func show(_ report: ImportReport) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(report))
            FileHandle.standardOutput.write(Data("\n".utf8))
            return
        }
        print(ReportText.render(report))
    }
}

struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download every complete, not yet imported delivery from the SFTP server into the spool; import nothing.",
        discussion: "Exit 0 something downloaded; 69 server unreachable or nothing new; 77 host key or key refused; 78 configuration."
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
        let fetcher = Fetcher(settings: sftp, spool: spool, store: store, logger: options.logger(configuration), now: configuration.importSettings.now)
        do {
            report = try fetcher.fetch()
        } catch let error as TransferError {
            if !fetcher.partial.downloaded.isEmpty { print(FetchText.render(fetcher.partial)) }
            throw CommandFailure(error.status, error.message)
        }
        print(FetchText.render(report))
        if !report.owedDeletions.isEmpty {
            throw CommandFailure(.remoteNotDeleted, RunCycle.owedMessage(report.owedDeletions, host: sftp.host).replacingOccurrences(of: "imported, but", with: "downloaded, but"))
        }
        if report.downloaded.isEmpty {
            throw CommandFailure(.unavailable, "no new complete delivery on \(sftp.host):\(sftp.remoteDirectory) yet")
        }
    }
}

func openSpool(_ configuration: Configuration) throws -> Spool {
    do {
        return try Spool(root: configuration.spoolDirectory)
    } catch let error as TransferError {
        throw CommandFailure(.ioError, error.message)
    }
}

extension TransferError {
    /// The exit status of each transfer failure (Docs/operations.md).
    var status: ExitStatus {
        switch code {
        case .hostKey, .authentication: .noPermission
        case .keyFile: .config
        case .local: .ioError
        default: .unavailable
        }
    }
}

enum FetchText {
    static func render(_ r: FetchReport) -> String {
        var lines: [String]
        if r.dryRun {
            lines = [
                "Would fetch \(r.downloaded.count) deliveries (\(r.files) files, \(r.bytes) bytes); nothing downloaded or deleted"
            ]
            for d in r.downloaded { lines.append("  would download \(d)") }
        } else {
            lines = [
                "Fetched \(r.downloaded.count) deliveries (\(r.files) files, \(r.bytes) bytes, \(String(format: "%.1f", r.seconds)) s); "
                    + "\(r.remoteDeleted) remote files deleted"
            ]
            for d in r.downloaded { lines.append("  downloaded \(d)") }
        }
        if r.owedSettled > 0 { lines.append("  \(r.owedSettled) remote deletions owed by earlier runs done (R10)") }
        if !r.owedDeletions.isEmpty {
            lines.append("  remote deletions still owed (R10), retried every run: " + r.owedDeletions.joined(separator: ", "))
        }
        for s in r.skipped { lines.append("  skipped \(s)") }
        if !r.ignored.isEmpty { lines.append("  ignored (not delivery files): " + r.ignored.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}

/// Human rendering of an import report: counts and names only (R15).
enum ReportText {
    static func render(_ report: ImportReport) -> String {
        var lines: [String] = []
        let what = report.dryRun ? "Dry run (nothing committed) of" : "Imported"
        lines.append(
            "\(what) the \(report.mode?.rawValue ?? "?") delivery of \(report.extractDate?.iso ?? "?"): "
                + "\(report.files) files, \(report.bytes) bytes, \(report.durationMilliseconds) ms")
        lines.append("  category     records   added updated unchanged departed reactivated")
        for category in AAFCategory.importOrder {
            let c = report.counts[category.reportKey] ?? CategoryCounts()
            lines.append(
                "  " + [category.reportKey.padded(10), "\(c.records)".leftPadded(9), "\(c.added)".leftPadded(7),
                    "\(c.updated)".leftPadded(7), "\(c.unchanged)".leftPadded(9), "\(c.departed)".leftPadded(8),
                    "\(c.reactivated)".leftPadded(11)].joined(separator: " "))
        }
        if let g = report.counts[AAFCategory.guardian.reportKey], g.notStoredUnreferenced + g.deletedUnreferenced > 0 {
            lines.append("  guardians no pupil references (R4): \(g.notStoredUnreferenced) not stored, \(g.deletedUnreferenced) deleted")
        }
        if !report.droppedAttributes.isEmpty {
            lines.append("  attributes dropped (R1): " + report.droppedAttributes.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        }
        if !report.skippedLinks.isEmpty {
            lines.append("  unreadable link values: " + report.skippedLinks.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        }
        if !report.repeatedAttributes.isEmpty {
            lines.append(
                "  repeated attributes, first kept: "
                    + report.repeatedAttributes.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        }
        if report.normalisedApostrophes > 0 {
            lines.append("  literal &apos; turned into ': \(report.normalisedApostrophes)")
        }
        if !report.ignoredFiles.isEmpty {
            lines.append("  files ignored (not ENT1D delivery files): " + report.ignoredFiles.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

// MARK: - status

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the directory's counts, the last imports, the next run, any open incident. No personal data."
    )

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let configuration = try options.load()
        guard let store = try openStoreForReading(configuration, readOnly: false) else {
            if json {
                try printJSON(["database": configuration.databasePath, "exists": false])
            } else {
                print("aafd directory \(configuration.databasePath)\n  \(noDatabaseYet(configuration))")
            }
            return
        }
        let counts = try store.counts()
        let last = try store.journal(limit: 1).first
        let success = try store.journal(limit: 1, outcome: .imported).first
        let incident = try store.openIncident()
        let owed = try store.owedRemoteDeletions()
        let warnings = configuration.sftp.map { $0.deleteAfterDownload ? [] : [SFTPSettings.keepRemoteWarning] } ?? []
        let nextRun = configuration.schedule.next(after: configuration.importSettings.now())
        var quiet = Logger(label: "aafd.status")
        quiet.logLevel = .warning  // the preview is not an event worth a log line
        // The purge's own code, rolled back; never waits behind another run's write (unknown then).
        store.connection.setBusyTimeout(milliseconds: 200)
        let pending: Int? = try? Purger(store: store, spool: nil, policy: configuration.importSettings.retention, logger: quiet)
            .run(asOf: configuration.today, executedAt: "", dryRun: true).total
        store.connection.setBusyTimeout(milliseconds: 5000)
        if json {
            var lastImport: [String: Any] = ["outcome": NSNull(), "extract_date": NSNull(), "finished_at": NSNull()]
            if let last {
                lastImport = [
                    "outcome": last.outcome.rawValue, "extract_date": last.extractDate?.iso ?? NSNull(),
                    "finished_at": last.finishedAt, "reason": last.reason ?? NSNull(),
                ]
            }
            var lastSuccess: [String: Any] = ["extract_date": NSNull(), "finished_at": NSNull()]
            if let success {
                lastSuccess = ["extract_date": success.extractDate?.iso ?? NSNull(), "finished_at": success.finishedAt]
            }
            let incidentObject: Any = incident.map {
                [
                    "id": $0.id, "opened_at": $0.openedAt, "outcome": $0.outcome, "rule": $0.rule ?? NSNull(),
                    "extract_date": $0.extractDate?.iso ?? NSNull(), "reason": $0.reason, "alerted": $0.alerted,
                ] as [String: Any]
            } ?? NSNull()
            try printJSON([
                "directory": [
                    "structures": counts.structures, "students": counts.students, "staff": counts.staff,
                    "guardians": counts.guardians, "departed": counts.departed,
                ],
                "last_import": lastImport,
                "last_success": lastSuccess,
                "incident": incidentObject,
                "next_run": Importer.timestamp(nextRun),
                "pending_purges": pending.map { $0 as Any } ?? NSNull(),
                // R10: downloaded files the server refused to delete; names only (no personal data).
                "remote_deletions_owed": owed.map {
                    ["name": $0.name, "extract_date": $0.extractDate.iso, "owed_since": $0.owedSince, "attempts": $0.attempts,
                     "last_error": $0.lastError] as [String: Any]
                },
                "warnings": warnings,
                "database": configuration.databasePath,
            ])
            return
        }
        print("aafd directory \(configuration.databasePath)")
        if let success {
            print("  last success: delivery of \(success.extractDate?.iso ?? "?"), finished \(success.finishedAt)")
        } else {
            print("  last success: none yet")
        }
        if let last {
            print("  last attempt: \(last.outcome.rawValue), delivery of \(last.extractDate?.iso ?? "?"), finished \(last.finishedAt)")
            if last.outcome != .imported, let reason = last.reason { print("    \(reason)") }
        }
        print("  next scheduled run: \(Importer.timestamp(nextRun)) (\(String(format: "%02d:%02d", configuration.schedule.hour, configuration.schedule.minute)) \(configuration.schedule.timeZone.identifier))")
        if let incident {
            print("  OPEN INCIDENT since \(incident.openedAt): \(incident.outcome)\(incident.rule.map { " (\($0))" } ?? "")\(incident.extractDate.map { ", delivery of \($0.iso)" } ?? "")")
            print("    \(incident.reason)")
        } else {
            print("  incident: none")
        }
        print("  structures \(counts.structures), students \(counts.students), staff \(counts.staff), guardians \(counts.guardians)")
        print("  departed, awaiting purge: \(counts.departed); purgeable today: \(pending.map(String.init) ?? "unknown (another aafd run is writing)")")
        for w in warnings { print("  WARNING: \(w)") }
        if !owed.isEmpty {
            print("  REMOTE DELETIONS OWED (R10): \(owed.count) downloaded files the server refused to delete; retried every run")
            for o in owed { print("    \(o.name) (delivery of \(o.extractDate.iso), since \(o.owedSince), \(o.attempts) attempts: \(o.lastError))") }
        }
    }
}

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the import journal, newest first (dates, outcomes, counts; no personal data)."
    )

    @OptionGroup var options: GlobalOptions
    @Option(help: "How many entries.") var limit = 20
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let configuration = try options.load()
        guard let store = try openStoreForReading(configuration) else {
            if json { try printJSON([Any]()) } else { print(noDatabaseYet(configuration)) }
            return
        }
        let entries = try store.journal(limit: max(1, limit), includeDryRuns: true)
        if json {
            try printJSON(entries.map { e -> [String: Any] in
                [
                    "started_at": e.startedAt, "finished_at": e.finishedAt, "extract_date": e.extractDate?.iso ?? NSNull(),
                    "mode": e.mode ?? NSNull(), "outcome": e.outcome.rawValue, "dry_run": e.dryRun, "reason": e.reason ?? NSNull(),
                    "counts": (try? JSONSerialization.jsonObject(with: Data(e.countsJSON.utf8))) ?? [:],
                    "dropped": (try? JSONSerialization.jsonObject(with: Data(e.droppedJSON.utf8))) ?? [:],
                    "duration_ms": e.durationMilliseconds,
                ]
            })
            return
        }
        if entries.isEmpty { print("no import yet") }
        for e in entries {
            print("\(e.finishedAt)  \(e.outcome.rawValue)\(e.dryRun ? " (dry run)" : "")  \(e.mode ?? "-") \(e.extractDate?.iso ?? "-")  \(e.durationMilliseconds) ms")
            if let reason = e.reason { print("    \(reason)") }
        }
    }
}

// MARK: - person

struct PersonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "person",
        abstract: "Answer a data subject's request (R14).",
        subcommands: [PersonShowCommand.self]
    )
}

struct PersonShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show everything stored about one person, by jointure (right of access, R14).",
        discussion: "Exit 66 when no person has that jointure."
    )

    @Argument(help: "The person's AAF jointure (ENTPersonJointure).")
    var jointure: String

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let configuration = try options.load()
        guard let store = try openStoreForReading(configuration) else {
            throw CommandFailure(.noInput, noDatabaseYet(configuration))
        }
        let found = try store.persons(jointure: jointure)
        // R14: every row of every table that refers to this jointure, found from the schema (consents and journal
        // rows included, even when the person is no longer in the directory).
        let rows = try store.storedRows(jointure: jointure)
        guard !found.isEmpty || !rows.isEmpty else {
            throw CommandFailure(.noInput, "nothing is stored about that jointure")
        }
        let consents = try store.consents(jointure: jointure)
        let stored = rows.tables.mapValues { $0.map { $0.mapValues { $0.map { $0 as Any } ?? NSNull() } } }
        var objects = found.map { person -> [String: Any] in
            var object = PersonJSON.object(person)
            object["consents"] = consents.map { ["field": $0.field, "granted_at": $0.grantedAt, "recorded_by": $0.recordedBy] }
            object["stored_rows"] = stored
            return object
        }
        if objects.isEmpty {
            objects = [["jointure": jointure, "in_directory": false, "consents": consents.map { ["field": $0.field, "granted_at": $0.grantedAt, "recorded_by": $0.recordedBy] }, "stored_rows": stored]]
        }
        if json {
            let output: Any = objects.count == 1 ? objects[0] : ["matches": objects] as [String: Any]
            try printJSON(output)
            return
        }
        if found.isEmpty { print("\(jointure): not in the directory; other records refer to it") }
        for person in found { print(PersonJSON.text(person)) }
        for c in consents { print("  consent: \(c.field) since \(c.grantedAt), recorded by \(c.recordedBy)") }
        for (table, tableRows) in rows.tables.sorted(by: { $0.key < $1.key }) {
            print("  stored in \(table): \(tableRows.count) row\(tableRows.count == 1 ? "" : "s")")
            for row in tableRows {
                print("    " + row.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value ?? "NULL")" }.joined(separator: " "))
            }
        }
    }
}

enum PersonJSON {
    static func object(_ p: PersonDetails) -> [String: Any] {
        // A name repeated in the record keeps every value (R14): values are gathered by name, not overwritten.
        var gathered: [String: [String]] = [:]
        var order: [String] = []
        for a in p.attributes {
            if gathered[a.name] == nil { order.append(a.name) }
            gathered[a.name, default: []] += a.values
        }
        var attributes: [String: Any] = [:]
        for name in order {
            let values = gathered[name] ?? []
            attributes[name] = AttributeCatalog.multiValued.contains(name) || values.count > 1 ? values : (values.first ?? "")
        }
        func structures(_ links: [PersonDetails.StructureLink]) -> [[String: Any]] {
            links.map { ["jointure": $0.jointure, "uai": $0.uai ?? NSNull()] }
        }
        func memberships(_ links: [PersonDetails.MembershipLink]) -> [[String: Any]] {
            links.map { ["structure": $0.structure, "code": $0.code, "label": $0.label] }
        }
        func persons(_ links: [PersonDetails.PersonLink]) -> [[String: Any]] {
            links.map { ["jointure": $0.jointure, "stored": $0.stored, "departed_on": $0.departedOn?.iso ?? NSNull()] }
        }
        var links: [String: Any] = [
            "structures": structures(p.structures), "classes": memberships(p.classes), "groups": memberships(p.groups),
        ]
        switch p.category {
        case .pupil: links["guardians"] = persons(p.guardians)
        case .guardian: links["pupils"] = persons(p.pupils)
        case .staff:
            links["functions"] = p.functions.map {
                [
                    "structure": $0.structure, "function_code": $0.functionCode ?? NSNull(),
                    "function_label": $0.functionLabel ?? NSNull(), "position_code": $0.positionCode ?? NSNull(),
                    "position_label": $0.positionLabel ?? NSNull(),
                ] as [String: Any]
            }
            links["directs"] = structures(p.directs)
        case .structure: break
        }
        return [
            "jointure": p.jointure, "category": p.category.rawValue, "attributes": attributes, "links": links,
            "first_seen": p.firstSeen?.iso ?? NSNull(), "updated_on": p.updatedOn?.iso ?? NSNull(),
            "departed_on": p.departedOn?.iso ?? NSNull(), "purge_due": p.purgeDue?.iso ?? NSNull(),
        ]
    }

    static func text(_ p: PersonDetails) -> String {
        var lines = ["\(p.category.rawValue) \(p.jointure)"]
        for a in p.attributes { lines.append("  \(a.name): \(a.values.joined(separator: " | "))") }
        lines.append("  schools: " + p.structures.map { "\($0.jointure) (\($0.uai ?? "not in directory"))" }.joined(separator: ", "))
        if !p.classes.isEmpty { lines.append("  classes: " + p.classes.map { "\($0.code) \($0.label)" }.joined(separator: ", ")) }
        if !p.groups.isEmpty { lines.append("  groups: " + p.groups.map { "\($0.code) \($0.label)" }.joined(separator: ", ")) }
        if !p.guardians.isEmpty { lines.append("  guardians: " + p.guardians.map(\.jointure).joined(separator: ", ")) }
        if !p.pupils.isEmpty { lines.append("  pupils: " + p.pupils.map(\.jointure).joined(separator: ", ")) }
        if !p.functions.isEmpty {
            lines.append("  functions: " + p.functions.map { "\($0.structure) \($0.functionCode ?? "-") \($0.positionLabel ?? "-")" }.joined(separator: ", "))
        }
        if !p.directs.isEmpty { lines.append("  directs: " + p.directs.map(\.jointure).joined(separator: ", ")) }
        lines.append("  first seen \(p.firstSeen?.iso ?? "-"), updated \(p.updatedOn?.iso ?? "-")")
        lines.append("  departed on \(p.departedOn?.iso ?? "-"), purge due \(p.purgeDue?.iso ?? "-")")
        return lines.joined(separator: "\n")
    }
}
