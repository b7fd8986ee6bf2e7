import AAFModel
import AAFStore
import AAFTransfer
import Foundation
import Logging

/// What one fetch did. File names, dates and counts only (R15).
public struct FetchReport: Sendable {
    /// Deliveries now complete in the spool, by folder label (`YYYYMMDD-Complet`).
    public var downloaded: [String] = []
    public var files = 0
    public var bytes = 0
    /// Remote files deleted after their local copy was durable (R10).
    public var remoteDeleted = 0
    /// Deliveries on the server not taken, with the reason (incomplete, already imported…).
    public var skipped: [String] = []
    /// Names on the server that are not delivery files.
    public var ignored: [String] = []
    public var seconds = 0.0

    public init() {}
}

/// Downloads every complete, not yet imported delivery from the académie's server into the spool (R10, R20).
///
/// Deliveries are grouped by extract date and taken oldest first; only complete ones (four categories for a
/// Complet, parts contiguous from 0000) are downloaded; an incomplete one is neither downloaded nor deleted.
/// Each file is stored durably and its size checked against the remote `stat` before the remote copy is deleted.
public final class Fetcher {
    private let settings: SFTPSettings
    private let spool: Spool
    private let store: DirectoryStore
    private let logger: Logger
    private let shouldStop: @Sendable () -> Bool
    /// Told the bytes downloaded so far in this run (progress display).
    public var progress: @Sendable (Int) -> Void = { _ in }

    public init(settings: SFTPSettings, spool: Spool, store: DirectoryStore, logger: Logger, shouldStop: @escaping @Sendable () -> Bool = { false }) {
        self.settings = settings
        self.spool = spool
        self.store = store
        self.logger = logger
        self.shouldStop = shouldStop
    }

    /// Connects, lists, downloads. Throws ``TransferError`` for connection, key and transfer failures.
    public func fetch() throws -> FetchReport {
        let started = ContinuousClock.now
        var report = FetchReport()
        let client = try SFTPClient(settings: settings)
        defer { client.close() }
        logger.info("connected", metadata: ["sftp.host": "\(settings.host)", "sftp.host_key": "\(client.hostKeyFingerprint ?? "-")"])
        let entries = try client.list()
        let files = entries.filter(\.isRegularFile)
        let sizes = Dictionary(files.map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a })
        let listing = DeliveryCheck.group(files.map(\.name))
        report.ignored = listing.ignored
        let last = try store.lastImportedExtractDate()
        var downloaded = 0

        for delivery in listing.candidates {
            let label = "\(delivery.date.compact)-\(delivery.mode.rawValue)"
            if let last, delivery.date <= last {
                report.skipped.append("\(label): already imported (last import \(last.iso)); left on the server")
                continue
            }
            do {
                try DeliveryCheck.validate(delivery)
            } catch let error as DeliveryError {
                report.skipped.append("\(label): \(error.message); neither downloaded nor deleted")
                continue
            }
            let folder = spool.folder(date: delivery.date, mode: delivery.mode)
            let have = Dictionary(spool.manifest(folder).map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a })
            var stored: [Spool.Entry] = []
            for file in delivery.orderedFiles {
                let expected = try client.size(of: file.fileName)
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
            // R10: the remote copy goes only once every local copy is durable.
            if settings.deleteAfterDownload {
                for file in delivery.orderedFiles {
                    try client.remove(file.fileName)
                    report.remoteDeleted += 1
                }
            }
            logger.info(
                "delivery downloaded",
                metadata: ["delivery.date": "\(delivery.date.iso)", "delivery.mode": "\(delivery.mode.rawValue)", "files": "\(delivery.orderedFiles.count)"])
        }
        let d = ContinuousClock.now - started
        report.seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return report
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
        case refused(ImportFailure)
    }

    /// Imports every waiting delivery not already refused.
    public func run(options: ImportOptions) throws -> [Result] {
        var results: [Result] = []
        for waiting in spool.deliveries() where waiting.refusedOn == nil {
            try spool.verify(waiting.path)
            do {
                let report = try importer.importDelivery(inDirectory: waiting.path, options: options)
                if !options.dryRun { try spool.remove(waiting.path) }
                results.append(.imported(report))
            } catch let failure as ImportFailure {
                try spool.markRefused(waiting.path, on: today)
                results.append(.refused(failure))
            }
        }
        return results
    }
}

