import AAFModel
import AAFPolicy
import AAFStore
import AAFTransfer
import Foundation
import Logging

/// What one fetch did. File names, dates and counts only (R15).
public struct FetchReport: Sendable {
    /// Deliveries now complete in the spool, by folder label (`YYYYMMDD-Complet`); with `dryRun`, the ones that
    /// would be downloaded.
    public var downloaded: [String] = []
    public var files = 0
    public var bytes = 0
    /// Remote files deleted after their local copy was durable (R10), this run's and owed ones.
    public var remoteDeleted = 0
    /// Remote deletions owed from earlier runs that this run completed (deleted, or found gone).
    public var owedSettled = 0
    /// Remote files whose deletion the server refused and that are still owed after this run (R10): aafd retries
    /// them on every run.
    public var owedDeletions: [String] = []
    /// Deliveries on the server not taken, and delivery-like files not taken, with the reason.
    public var skipped: [String] = []
    /// Names on the server that are not delivery files.
    public var ignored: [String] = []
    /// Nothing was downloaded or deleted: the report says what a run would do (`check-config --connect`,
    /// `import --dry-run`).
    public var dryRun = false
    /// The SHA-256 fingerprint of the host key the server showed (and known_hosts pinned).
    public var hostKeyFingerprint: String?
    public var seconds = 0.0

    public init() {}
}

/// Downloads every complete, not yet imported delivery from the académie's server into the spool (R10, R20).
///
/// Deliveries are grouped by extract date and taken oldest first; only complete ones (four categories for a
/// Complet, parts contiguous from 0000) are downloaded; an incomplete one is neither downloaded nor deleted.
/// Each file is stored durably and its size checked against the remote `stat` before the remote copy is deleted.
/// A deletion the server refuses is recorded as owed (``DirectoryStore/oweRemoteDeletion(_:extractDate:error:at:)``)
/// and retried first thing on every later run.
public final class Fetcher {
    private let settings: SFTPSettings
    private let spool: Spool
    /// Nil for `check-config --connect` before any database exists: nothing imported, nothing owed.
    private let store: DirectoryStore?
    private let logger: Logger
    private let shouldStop: @Sendable () -> Bool
    private let now: @Sendable () -> Date
    /// Told the bytes downloaded so far in this run (progress display).
    public var progress: @Sendable (Int) -> Void = { _ in }

    public init(
        settings: SFTPSettings,
        spool: Spool,
        store: DirectoryStore?,
        logger: Logger,
        shouldStop: @escaping @Sendable () -> Bool = { false },
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.settings = settings
        self.spool = spool
        self.store = store
        self.logger = logger
        self.shouldStop = shouldStop
        self.now = now
    }

    /// Connects, lists, downloads. Throws ``TransferError`` for connection, key and transfer failures.
    ///
    /// - Parameter dryRun: connect, authenticate, list and report what would be downloaded and deleted; download
    ///   and delete nothing.
    public func fetch(dryRun: Bool = false) throws -> FetchReport {
        var report = FetchReport()
        report.dryRun = dryRun
        defer { partial = report }
        return try fetch(into: &report)
    }

    /// What the last ``fetch(dryRun:)`` had done when it returned or threw: a run that fails half-way still
    /// reports the deliveries it downloaded and the deletions it did.
    public private(set) var partial = FetchReport()

    private func fetch(into report: inout FetchReport) throws -> FetchReport {
        let started = Elapsed()
        let dryRun = report.dryRun
        let client = try SFTPClient(settings: settings)
        defer { client.close() }
        logger.info(
            "connected",
            metadata: ["sftp.host": "\(settings.host)", "sftp.host_key": "\(client.hostKeyFingerprint ?? "-")"]
        )
        report.hostKeyFingerprint = client.hostKeyFingerprint
        if !settings.deleteAfterDownload { logger.warning("\(SFTPSettings.keepRemoteWarning)") }

        // R10: deletions owed from earlier runs first.
        let owed = try store?.owedRemoteDeletions() ?? []
        if !dryRun {
            for deletion in owed where settings.deleteAfterDownload {
                try delete(deletion.name, date: deletion.extractDate, client: client, report: &report, owed: true)
            }
        }
        let owedNames = Set(owed.map(\.name))

        let entries = try client.list(resolving: { DeliveryFileName($0) != nil && !owedNames.contains($0) })
        var files: [RemoteEntry] = []
        for entry in entries where !owedNames.contains(entry.name) {
            if entry.isFile || DeliveryFileName(entry.name) == nil {
                files.append(entry)
            } else if case .notTaken(let why) = entry.kind {
                report.skipped.append("\(entry.name): \(why); not taken")
            }
        }
        let sizes = Dictionary(files.map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a })
        let listing = DeliveryCheck.group(files.map(\.name))
        report.ignored = listing.ignored
        let last = try store?.lastImportedExtractDate()
        var downloaded = 0

        let today = ExtractDate.day(of: now())
        for delivery in listing.candidates {
            let label = delivery.folderName
            switch ExtractDateJudgement.judge(delivery.date, today: today, lastImported: last) {
            case .future:
                report.skipped.append("\(label): dated after today, a wrong date (R20); neither downloaded nor deleted")
                continue
            case .older, .same:
                report.skipped.append(
                    "\(label): already imported (last import \(last?.iso ?? "-")); left on the server"
                )
                continue
            case .newer: break
            }
            do {
                try DeliveryCheck.validate(delivery)
            } catch let error as DeliveryError {
                report.skipped.append("\(label): \(error.message); neither downloaded nor deleted")
                continue
            }
            // Nothing unbounded: a file over max_file_mib is not downloaded (the transfer itself never reads more
            // than the size announced, plus one request, SFTPClient.download).
            let cap = settings.maxFileMiB << 20
            if let big = delivery.orderedFiles.first(where: { (sizes[$0.fileName] ?? 0) > cap }) {
                report.skipped.append(
                    "\(label): \(big.fileName) is \((sizes[big.fileName] ?? 0) >> 20) MiB, over max_file_mib (\(settings.maxFileMiB)); "
                        + "neither downloaded nor deleted: check the file with the académie"
                )
                continue
            }
            if dryRun {
                report.downloaded.append(label)
                report.files += delivery.orderedFiles.count
                report.bytes += delivery.orderedFiles.reduce(0) { $0 + (sizes[$1.fileName] ?? 0) }
                continue
            }
            let folder = spool.folder(for: delivery)
            let have = Dictionary(spool.manifest(folder).map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a })
            var stored: [Spool.Entry] = []
            // Whatever ends this delivery (a cut connection, SIGTERM), the files already handed to the spool's
            // finisher are fsynced and renamed before the process goes on or exits: never a `.part` left behind.
            defer { try? spool.waitForFiles() }
            for file in delivery.orderedFiles {
                let expected = try client.size(of: file.fileName)
                guard expected <= cap else {
                    throw TransferError(
                        .transfer,
                        "\(file.fileName) grew to \(expected >> 20) MiB, over max_file_mib (\(settings.maxFileMiB)); not downloaded"
                    )
                }
                if expected != sizes[file.fileName] {
                    logger.notice("remote size changed since the listing", metadata: ["file.name": "\(file.fileName)"])
                }
                if have[file.fileName] == expected { continue }  // already durable from an earlier, cut run
                if shouldStop() { throw CancellationError() }
                let entry = try spool.store(file.fileName, in: folder, expectedSize: expected) { writer in
                    _ = try client.download(file.fileName, expectedSize: expected) { bytes in
                        if shouldStop() { throw CancellationError() }
                        try writer.write(bytes)
                        downloaded += bytes.count
                        progress(downloaded)
                    }
                }
                stored.append(entry)
                report.files += 1
                report.bytes += entry.size
            }
            try spool.commit(stored, in: folder)
            try spool.verify(folder)
            report.downloaded.append(label)
            logger.info(
                "delivery downloaded",
                metadata: [
                    "delivery.date": "\(delivery.date.iso)", "delivery.mode": "\(delivery.mode.rawValue)",
                    "files": "\(delivery.orderedFiles.count)",
                ]
            )
            // R10: the remote copy goes only once every local copy is durable.
            if settings.deleteAfterDownload {
                for file in delivery.orderedFiles {
                    try delete(file.fileName, date: delivery.date, client: client, report: &report, owed: false)
                }
            }
        }
        report.owedDeletions = dryRun ? owed.map(\.name) : try store?.owedRemoteDeletions().map(\.name) ?? []
        report.seconds = started.seconds
        return report
    }

    /// Deletes one remote file whose local copy is durable; a refusal is recorded as owed, never thrown (the
    /// download stands). Throws only when the connection is lost (the deletion is then owed too).
    private func delete(
        _ name: String,
        date: ExtractDate,
        client: SFTPClient,
        report: inout FetchReport,
        owed: Bool
    ) throws {
        guard let store else { return }
        let at = Timestamp.string(now())
        let removal: SFTPClient.Removal
        do {
            removal = try client.remove(name)
        } catch let error as TransferError {
            try store.oweRemoteDeletion(name, extractDate: date, error: error.message, at: at)
            throw error
        }
        switch removal {
        case .removed:
            report.remoteDeleted += 1
            if owed { report.owedSettled += 1 }
            try store.settleRemoteDeletion(name)
        case .alreadyGone:
            if owed { report.owedSettled += 1 }
            try store.settleRemoteDeletion(name)
        case .refused(let why):
            try store.oweRemoteDeletion(name, extractDate: date, error: why, at: at)
            logger.warning(
                "the server refused to delete a downloaded file (R10)",
                metadata: ["file.name": "\(name)", "sftp.error": "\(why)"]
            )
        }
    }
}

/// Imports the deliveries waiting in the spool, oldest first (R20): imported deliveries are deleted (R10); refused
/// ones are marked and kept for diagnosis until the purge engine deletes them (`Purger`, R10).
public final class SpoolImporter {
    private let spool: Spool
    private let importer: Importer
    private let logger: Logger
    private let today: ExtractDate

    public init(spool: Spool, importer: Importer, today: ExtractDate, logger: Logger) {
        self.spool = spool
        self.importer = importer
        self.today = today
        self.logger = logger
    }

    /// The result of one delivery.
    public enum Result: Sendable {
        case imported(ImportReport)
        /// Refused by the rules (R20, R21, malformed): marked refused in the spool, kept for diagnosis (R10).
        case refused(ImportFailure)
        /// Stopped or failed for a reason that is not the delivery's (SIGTERM, a full disk, a database error):
        /// left waiting, imported by the next run. Later deliveries wait behind it (oldest first, R20).
        case interrupted(ImportFailure)
    }

    /// Imports every waiting delivery not already refused, oldest first; stops at the first interrupted one.
    public func run(options: ImportOptions) throws -> [Result] {
        var results: [Result] = []
        // A delivery the mass-departure guard refused is tried again when the administrator accepts the departures
        // (the remedy the refusal prints: `aafd import --accept-departures`).
        for waiting in spool.deliveries()
        where !waiting.isRefused || (options.acceptDepartures && waiting.refusedRule == .r21) {
            // A download cut before its first file was kept leaves an empty folder: nothing to import yet, and no
            // delivery to refuse (the fetch's own failure is what the run reports).
            if waiting.delivery == nil,
                ((try? FileManager.default.contentsOfDirectory(atPath: waiting.path)) ?? []).allSatisfy({
                    $0.hasPrefix(".")
                })
            {
                continue
            }
            do {
                try spool.verify(waiting.path, hashes: true)
            } catch let error as TransferError where error.code == .tampered {
                // R18: never imported; marked refused and kept for diagnosis (R10), an incident like any refusal.
                if !options.dryRun { try spool.markRefused(waiting.path, on: today, rule: error.rule) }
                var report = ImportReport(outcome: .refused, dryRun: options.dryRun)
                report.extractDate = waiting.delivery?.date
                report.reason = error.message
                report.rule = error.rule
                var outcome = error.outcome
                outcome.extractDate = report.extractDate
                results.append(.refused(ImportFailure(outcome, report: report)))
                continue
            }
            do {
                // The delivery its fetch recorded travels on; a folder without one (never committed) is scanned.
                let report =
                    try waiting.delivery.map { try importer.importDelivery($0, in: waiting.path, options: options) }
                    ?? importer.importDelivery(inDirectory: waiting.path, options: options)
                if !options.dryRun { try spool.remove(waiting.path) }
                results.append(.imported(report))
            } catch let failure as ImportFailure {
                guard failure.isRefusal else {
                    results.append(.interrupted(failure))
                    return results
                }
                if !options.dryRun { try spool.markRefused(waiting.path, on: today, rule: failure.outcome.rule) }
                results.append(.refused(failure))
            }
        }
        return results
    }
}
