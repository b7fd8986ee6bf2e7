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
        let result = try store.purge(
            plan,
            executedAt: executedAt,
            dryRun: dryRun,
            alsoRecord: files > 0 ? ["R10": ["refused deliveries": files]] : [:]
        )
        if !dryRun, let answers { try eraseOrphanAnswers(answers) }
        var metadata: Logger.Metadata = ["purge.as_of": "\(asOf.iso)", "purge.dry_run": "\(dryRun)"]
        for (rule, counts) in result.counts {
            metadata["purge.\(rule)"] = "\(counts.values.reduce(0, +))"
        }
        logger.info("purge finished", metadata: metadata)
        return result
    }

    /// An access answer (`request-N.txt|json`) whose request left the register goes too, overwritten first (R12).
    private func eraseOrphanAnswers(_ folder: String) throws {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        let kept = Set(try store.requests.list().map(\.id))
        var tally = SecureErase.Tally()
        for name in names where name.hasPrefix("request-") {
            let number = name.dropFirst("request-".count).prefix { $0.isNumber }
            guard let id = Int(number), !kept.contains(id) else { continue }
            try SecureErase.file((folder as NSString).appendingPathComponent(name), into: &tally)
        }
    }
}
