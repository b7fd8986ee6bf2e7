import AAFFileSystem
import AAFModel
import AAFPolicy
import AAFStore
import AAFTransfer
import Foundation
import Logging

/// The purge engine: the retention policy's dates (pure, AAFPolicy) applied to the directory and the spool.
///
/// Runs after every import and on its own (`aafd purge`). R6–R9 and R11 in the database, R10 in the spool; every
/// rule that removed something leaves a chained deletion record (R13); the WAL is truncated afterwards (R12).
public final class Purger {
    private let store: DirectoryStore
    private let spool: Spool?
    private let policy: RetentionPolicy
    private let logger: Logger
    private let answers: String?

    /// `answers`: the folder of access answers (`state_dir/answers`), erased with the requests they answer.
    public init(store: DirectoryStore, spool: Spool?, policy: RetentionPolicy, logger: Logger, answers: String? = nil) {
        self.answers = answers
        self.store = store
        self.spool = spool
        self.policy = policy
        self.logger = logger
    }

    /// Purges as of `asOf` (today, or a date given for a preview). With `dryRun`, counts only.
    public func run(asOf: ExtractDate, executedAt: String, dryRun: Bool) throws -> PurgeResult {
        let plan = policy.plan(asOf: asOf)
        // R10: refused deliveries past their diagnosis window leave the spool.
        var files = 0
        if let spool {
            for waiting in spool.deliveries() {
                guard let refusedOn = waiting.refusedOn,
                    policy.refusedDeliveryExpired(refusedOn: refusedOn, asOf: asOf)
                else { continue }
                if !dryRun { try spool.remove(waiting.path) }
                files += 1
            }
        }
        // The journal rows of exports whose files still exist outlive R11's window (issue 23).
        let outputs = try store.adminJournal.recordedOutputs().filter { output in
            var info = stat()
            return lstat(output.path, &info) == 0
        }
        var result = try store.purge(
            plan,
            executedAt: executedAt,
            dryRun: dryRun,
            alsoRecord: files > 0 ? ["R10": ["refused deliveries": files]] : [:],
            keepingJournalRows: Set(outputs.map(\.id))
        )
        if let answers {
            let erased = try eraseAnswers(answers, asOf: asOf, dryRun: dryRun)
            if erased > 0 {
                result.counts["R14", default: [:]]["access answers"] = erased
                if !dryRun {
                    try store.recordDeletions(
                        purgedOn: asOf,
                        executedAt: executedAt,
                        rule: "R14",
                        counts: ["access answers": erased]
                    )
                }
            }
        }
        var metadata: Logger.Metadata = ["purge.as_of": "\(asOf.iso)", "purge.dry_run": "\(dryRun)"]
        for (rule, counts) in result.counts {
            metadata["purge.\(rule)"] = "\(counts.values.reduce(0, +))"
        }
        logger.info("purge finished", metadata: metadata)
        return result
    }

    /// Access answers (`request-N.txt|json`) past their retention (``AnswerRetention``: their person purged, their
    /// request gone or closed a month ago, or written 92 days ago) are overwritten, then removed (R12).
    /// - Returns: how many were (or, with `dryRun`, would be) erased.
    private func eraseAnswers(_ folder: String, asOf: ExtractDate, dryRun: Bool) throws -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return 0 }
        let requests = Dictionary(try store.requests.list().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var tally = SecureErase.Tally()
        var erased = 0
        for name in names.sorted() where name.hasPrefix("request-") {
            let path = (folder as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            let number = name.dropFirst("request-".count).prefix { $0.isNumber }
            let request = Int(number).flatMap { requests[$0] }
            let personPresent = try request.map { !(try store.persons(jointure: $0.jointure)).isEmpty } ?? true
            let reason = AnswerRetention.erase(
                writtenOn: ExtractDate.day(of: Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))),
                requestInRegister: request != nil,
                requestClosedOn: request?.closedAt.flatMap { ExtractDate(iso: $0.prefix(10)) },
                personInDirectory: personPresent,
                today: asOf
            )
            guard let reason else { continue }
            erased += 1
            guard !dryRun else { continue }
            try SecureErase.file(path, into: &tally)
            logger.info(
                "access answer erased",
                metadata: ["answer.file": "\(name)", "answer.reason": "\(reason.rawValue)"]
            )
        }
        return erased
    }
}
