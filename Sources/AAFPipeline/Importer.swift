import AAFModel
import AAFParser
import AAFPolicy
import AAFStore
import Foundation
import Logging

/// Settings of the import, read from `[import]` and `[retention]`.
public struct ImportSettings: Sendable {
    /// R21 threshold.
    public var departureGuard = DepartureGuard()
    /// R6–R8 departure rule.
    public var retention = RetentionPolicy()
    /// Bytes fed to libxml2 at a time.
    public var chunkSize = 256 * 1024
    public var limits = ParserLimits()
    /// Wall clock for journal timestamps; injected by tests.
    public var now: @Sendable () -> Date = { Date() }

    public init() {}
}

/// Options of one run (`aafd import` flags).
public struct ImportOptions: Sendable {
    /// Accept departures beyond the R21 threshold for this delivery.
    public var acceptDepartures = false
    /// Parse and reconcile, report, commit nothing.
    public var dryRun = false
    /// Asked between record batches: true stops the import before its commit (SIGTERM); nothing is imported.
    public var shouldStop: @Sendable () -> Bool = { false }
    /// Told the number of records applied so far, after each batch (progress display).
    public var progress: @Sendable (Int) -> Void = { _ in }

    public init(
        acceptDepartures: Bool = false,
        dryRun: Bool = false,
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) {
        self.acceptDepartures = acceptDepartures
        self.dryRun = dryRun
        self.shouldStop = shouldStop
    }
}

/// An import that did not land: its ``Outcome`` (refused, stopped, failed; the cause decides the exit status), built
/// once by the importer, and the report of what was read before it stopped; the directory is unchanged.
public struct ImportFailure: Error, Sendable, CustomStringConvertible {
    public var outcome: Outcome
    public var report: ImportReport
    public var description: String { outcome.message ?? "import \(outcome.kind.rawValue)" }

    public init(_ outcome: Outcome, report: ImportReport) {
        self.outcome = outcome
        self.report = report
    }

    /// Only a refusal is the delivery's fault: it stays refused until an administrator acts. A stop or a failure
    /// of something else (the database, the disk) leaves the delivery waiting for the next run.
    public var isRefusal: Bool { outcome.kind == .refused }
}

/// Parses a delivery and reconciles it into the directory in one transaction (R21).
///
/// Schools first, then pupils, staff, guardians (R4 needs the pupils' references). After each category of a
/// Complet, whoever was not seen departs (R6, R8); guardians whose pupils all left depart with them (R7);
/// then the mass-departure guard (R21) decides whether the transaction commits.
public final class Importer {
    private let store: DirectoryStore
    private let settings: ImportSettings
    private let logger: Logger

    public init(store: DirectoryStore, settings: ImportSettings, logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
    }

    /// Imports the single delivery in `directory`.
    ///
    /// - Returns: the report of a run that was imported (or would be, with `dryRun`).
    /// - Throws: ``ImportFailure`` when the delivery is refused or the import failed; the journal has a row
    ///   for it and the directory is unchanged.
    @discardableResult
    public func importDelivery(inDirectory directory: String, options: ImportOptions) throws -> ImportReport {
        try importing(from: directory, options: options) { try DeliveryCheck.scan(directory: directory) }
    }

    /// Imports a delivery already grouped (the spool's, as its fetch recorded it): checked again, not rebuilt from
    /// the folder's names.
    @discardableResult
    public func importDelivery(
        _ delivery: Delivery,
        in directory: String,
        options: ImportOptions
    ) throws -> ImportReport {
        try importing(from: directory, options: options) {
            try DeliveryCheck.validate(delivery)
            return (delivery, [])
        }
    }

    private func importing(
        from directory: String,
        options: ImportOptions,
        delivery find: () throws -> (delivery: Delivery, ignored: [String])
    ) throws -> ImportReport {
        let started = settings.now()
        let clock = Elapsed()
        var report = ImportReport(outcome: .imported, dryRun: options.dryRun)
        do {
            let (delivery, ignored) = try find()
            report.extractDate = delivery.date
            report.mode = delivery.mode
            report.ignoredFiles = ignored
            try apply(delivery, from: directory, options: options, report: &report, started: started, clock: clock)
            logger.info(
                "import finished",
                metadata: [
                    "delivery.date": "\(delivery.date.iso)", "delivery.mode": "\(delivery.mode.rawValue)",
                    "import.outcome": "\(options.dryRun ? "dry-run" : "imported")",
                    "import.duration_ms": "\(report.durationMilliseconds)",
                ]
            )
            return report
        } catch let failure as ImportFailure {
            throw failure
        } catch {
            let outcome = Importer.outcome(of: error, extractDate: report.extractDate)
            report.outcome = outcome.kind == .refused ? .refused : .failed
            report.reason = outcome.message
            report.rule = outcome.rule
            report.durationMilliseconds = clock.milliseconds
            journal(report, started: started)
            logger.error(
                "import \(report.outcome.rawValue)",
                metadata: [
                    "import.reason": "\(report.reason ?? "")", "delivery.date": "\(report.extractDate?.iso ?? "-")",
                ]
            )
            throw ImportFailure(outcome, report: report)
        }
    }

    private func apply(
        _ delivery: Delivery,
        from directory: String,
        options: ImportOptions,
        report: inout ImportReport,
        started: Date,
        clock: Elapsed
    ) throws {
        // R20: an extract date after tomorrow (one day of margin for time zones) is a wrong date, not a delivery:
        // accepted, it would make every real delivery "older than the last one" and postpone R9 for years.
        let today = ExtractDate.day(of: settings.now())
        let last = try store.lastImportedExtractDate()
        switch ExtractDateJudgement.judge(delivery.date, today: today, lastImported: last) {
        case .future:
            throw DeliveryError(
                "the \(delivery.mode.rawValue) delivery is dated \(delivery.date.iso), after today (\(today.iso)); a "
                    + "delivery from the future is refused (R20). Check the machine's clock, or ask the académie for a "
                    + "correctly dated extract"
            )
        case .older:
            throw DeliveryError(
                "the \(delivery.mode.rawValue) delivery of \(delivery.date.iso) is older than the last imported one "
                    + "(\(last?.iso ?? "-")); it is refused so that older data never overwrites newer"
            )
        case .same, .newer: break
        }
        let session = try store.beginImport(extractDate: delivery.date, mode: delivery.mode)
        defer { session.rollback() }
        // R2: the consent register, read inside the import's own transaction (a consent recorded meanwhile waits
        // for the next import; one revoked meanwhile cannot be undone by this one).
        let filter = AllowList(homeAddressConsents: try store.homeAddressConsents())
        var counts: [AAFCategory: CategoryCounts] = [:]
        var dropped: [String: Int] = [:]
        let departure = { (category: AAFCategory) in self.settings.retention.departure(of: category, on: delivery.date)
        }

        // Parsing runs on its own thread; records are applied here, in file order (ADR 0003).
        let reader = DeliveryReader(
            files: delivery.orderedFiles.map { ((directory as NSString).appendingPathComponent($0.fileName), $0) },
            filter: filter,
            chunkSize: settings.chunkSize,
            limits: settings.limits
        )
        defer { reader.cancel() }

        var applied = 0
        for category in AAFCategory.importOrder {
            var c = CategoryCounts()
            var filesLeft = delivery.files[category]?.count ?? 0
            while filesLeft > 0 {
                switch reader.next() {
                case .records(let batch):
                    if options.shouldStop() { throw CancellationError() }
                    for record in batch {
                        c.records += 1
                        let outcome: ApplyOutcome =
                            record.kind == .delete
                            ? try session.delete(record, departure: departure(category))
                            : try session.upsert(record)
                        Importer.count(outcome, into: &c)
                    }
                    applied += batch.count
                    options.progress(applied)
                case .endOfFile(let file, let header, let statistics):
                    try checkHeader(header, file: file)
                    report.files += 1
                    report.bytes += statistics.bytes
                    report.normalisedApostrophes += statistics.normalisedApostrophes
                    report.repeatedAttributes.merge(statistics.repeatedAttributes, uniquingKeysWith: +)
                    dropped.merge(statistics.droppedAttributes, uniquingKeysWith: +)
                    filesLeft -= 1
                case .failed(let error):
                    throw error
                }
            }
            // R6, R8: whoever a Complet no longer lists has left.
            if delivery.mode == .complet {
                try session.departUnseen(category, action: departure(category))
            }
            if category == .guardian {
                // R4, R7.
                let swept = try session.sweepGuardians(departure: departure(.guardian))
                c.deletedUnreferenced = swept.unreferencedDeleted
            }
            c.departed = session.departures[category] ?? 0
            counts[category] = c
        }
        report.counts = DeliveryCounts(counts)
        report.droppedAttributes = dropped
        report.skippedLinks = session.skippedLinks

        // R21: the mass-departure guard.
        var departures: [AAFCategory: (activeBefore: Int, departing: Int)] = [:]
        for category in AAFCategory.importOrder {
            departures[category] = (session.activeBefore[category] ?? 0, session.departures[category] ?? 0)
        }
        if options.shouldStop() { throw CancellationError() }
        let breaches = settings.departureGuard.breaches(departures)
        if !breaches.isEmpty, !options.acceptDepartures {
            throw DeliveryError(
                "refused by the mass-departure guard (R21): "
                    + breaches.map(\.description).joined(separator: "; ")
                    + " (threshold: more than \(settings.departureGuard.maximumPercent) % and more than "
                    + "\(settings.departureGuard.maximumPeople) people); check the delivery with the academy, then "
                    + "run again with --accept-departures to accept them",
                rule: .r21
            )
        }

        report.durationMilliseconds = clock.milliseconds
        let entry = journalEntry(report, started: started)
        if options.dryRun {
            session.rollback()
            try store.appendJournal(entry)
        } else {
            // R13: deletions made by the import itself are recorded like any purge.
            let staffDeleted = counts[.staff]?.departed ?? 0
            let guardiansDeleted = counts[.guardian]?.deletedUnreferenced ?? 0
            let erased = try session.commit(
                journal: entry,
                deletions: [
                    "R8": [AAFCategory.staff.reportKey: staffDeleted],
                    "R4": [AAFCategory.guardian.reportKey: guardiansDeleted],
                ]
            )
            report.erasurePending = !erased
        }
    }

    /// `degre` must be 1D when the header states it.
    private func checkHeader(_ header: DocumentHeader, file: DeliveryFileName) throws {
        if let degre = header.degre, degre.uppercased() != "1D" {
            throw DeliveryError(
                "\(file.fileName): the header's degre attribute is not 1D; this is not a first-degree "
                    + "extract: ask the academy for the ENT1D files",
                rule: .r21
            )
        }
    }

    private static func count(_ outcome: ApplyOutcome, into c: inout CategoryCounts) {
        switch outcome {
        case .added: c.added += 1
        case .updated: c.updated += 1
        case .unchanged: c.unchanged += 1
        case .reactivated: c.reactivated += 1
        case .reactivatedAndUpdated:
            c.reactivated += 1
            c.updated += 1
        case .unreferencedGuardian: c.notStoredUnreferenced += 1
        case .departed: break  // counted from the session's departures
        case .unknownDelete: c.unknownDeletes += 1
        }
    }

    // MARK: Journal

    private func journal(_ report: ImportReport, started: Date) {
        do {
            try store.appendJournal(journalEntry(report, started: started))
        } catch {
            logger.error("could not write the journal", metadata: ["error": "\(error)"])
        }
    }

    private func journalEntry(_ report: ImportReport, started: Date) -> JournalEntry {
        JournalEntry(report, startedAt: Timestamp.string(started), finishedAt: Timestamp.string(settings.now()))
    }

    /// The one classification of an import's error: what it makes of the delivery, why, under which rule.
    static func outcome(of error: any Error, extractDate: ExtractDate?) -> Outcome {
        switch error {
        case let e as DeliveryError:
            Outcome(.refused, cause: .delivery, message: e.message, rule: e.rule, extractDate: extractDate)
        case let e as ParseError:
            // R21: a malformed delivery changes nothing.
            Outcome(.refused, cause: .delivery, message: e.description, rule: .r21, extractDate: extractDate)
        case let e as SQLiteError where e.isStorageFailure:
            Outcome(
                .failed,
                cause: .storage,
                message: "the disk is full or failing (\(e.description)); check free space, then run again: nothing "
                    + "was imported",
                extractDate: extractDate
            )
        case let e as SQLiteError:
            Outcome(.failed, cause: .internalError, message: e.description, extractDate: extractDate)
        case let e as StoreError:
            Outcome(.failed, cause: .internalError, message: e.message, extractDate: extractDate)
        case is CancellationError:
            Outcome(.stopped, message: "stopped before the end; nothing was imported", extractDate: extractDate)
        default:
            Outcome(
                .failed,
                cause: .internalError,
                message: "unexpected error: \(type(of: error))",
                extractDate: extractDate
            )
        }
    }
}
