import AAFModel
import AAFPipeline
import AAFPolicy
import AAFStore
import AAFTransfer
import ArgumentParser
import Foundation

/// `aafd purge`: the purge engine on its own.
struct PurgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Delete what the convention no longer allows aafd to keep (R6–R11); counts only, no personal data.",
        discussion: "--as-of evaluates the rules as of another date (preview); --dry-run deletes nothing."
    )

    @OptionGroup var options: GlobalOptions

    @Option(name: .customLong("as-of"), help: "Evaluate the rules as of this date (YYYY-MM-DD); default today.")
    var asOf: String?

    @Flag(name: .customLong("dry-run"), help: "Report counts per rule and category; delete nothing.")
    var dryRun = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let configuration = try options.load()
        let date: ExtractDate
        if let asOf {
            guard let d = ExtractDate(iso: asOf) else {
                throw CommandFailure(.config, "--as-of must be a date, YYYY-MM-DD")
            }
            // A future date deletes what the rules still protect today: a preview only.
            guard d <= configuration.today || dryRun else {
                throw CommandFailure(
                    .config,
                    "--as-of \(d.iso) is after today (\(configuration.today.iso)): a future date is a preview; add --dry-run"
                )
            }
            date = d
        } else {
            date = configuration.today
        }
        let lock = try RunLock(path: configuration.lockPath)
        defer { withExtendedLifetime(lock) {} }
        let store = try openStore(configuration)
        let spool = try? Spool(root: configuration.spoolDirectory)
        let result = try Purger(
            store: store,
            spool: spool,
            policy: configuration.importSettings.retention,
            logger: options.logger(configuration),
            answers: configuration.answersDirectory
        )
        .run(asOf: date, executedAt: Timestamp.string(configuration.importSettings.now()), dryRun: dryRun)
        if output.json {
            try printJSON(PurgeReport(asOf: date, dryRun: dryRun, counts: result.counts, total: result.total))
            return
        }
        print(
            "\(dryRun ? "Would purge" : "Purged") as of \(date.iso): \(result.total == 0 ? "nothing" : PurgeText.summary(result))"
        )
        for (rule, counts) in result.counts.sorted(by: { $0.key < $1.key }) {
            print(
                "  \(rule): "
                    + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            )
        }
        if !dryRun {
            try settleErasure(result.erasureComplete, configuration, store, options, done: "purged")
        }
    }
}

/// After an administrator's deletion (a purge, a consent revocation), R12: done only once the values are gone from
/// the database files; otherwise an incident and exit 75, completed by the next run. A completed erasure closes
/// a pending-erasure incident.
func settleErasure(
    _ erased: Bool,
    _ configuration: Configuration,
    _ store: DirectoryStore,
    _ options: GlobalOptions,
    done: String
) throws {
    let cycle = RunCycle(settings: configuration.run, store: store, logger: options.logger(configuration))
    // The ENT's copy follows at once (R12 there too: the replaced copy is erased).
    cycle.publicationStep()
    if let pending = cycle.erasureStep(erased: erased) {
        throw CommandFailure(ExitStatus(for: pending), "\(done), but " + (pending.message ?? ""))
    }
}

/// `purge --json`: counts by rule and category (R13, R15).
struct PurgeReport: Encodable {
    var asOf: ExtractDate
    var dryRun: Bool
    var counts: [String: [String: Int]]
    var total: Int
    enum CodingKeys: String, CodingKey {
        case asOf = "as_of"
        case dryRun = "dry_run"
        case counts, total
    }
}

/// `certificate --json`: the parties, the period, the deletion records and the chain's verification (R13).
struct CertificateReport: Encodable {
    struct Parties: Encodable { var commune, academy, publisher: String }
    struct Period: Encodable {
        @NullEncoded var from: ExtractDate?
        @NullEncoded var to: ExtractDate?
    }
    struct Chain: Encodable {
        var verified: Bool
        var records: Int
        var head: String
        var problems: [String]
    }
    var parties: Parties
    var period: Period
    var records: [PurgeRecord]
    var totals: [String: [String: Int]]
    var chain: Chain
}

/// `aafd certificate`: a certificate of deletion for a period (R13, convention art. 6.3).
struct CertificateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certificate",
        abstract: "Print a certificate of deletion for a period, from the chained deletion records (R13).",
        discussion: """
            Covers the deletions executed between --from and --to (the days they ran). Prints the chain's head hash: \
            keep it, and give it to the next certificate with --check-head, which then proves no record was removed \
            since. In French (convention art. 6.3), as text or, with --format pdf, an A4 PDF made by groff; --output \
            writes a new 0600 file. Exit 65 when the chain does not verify (a record was removed or edited, or an \
            earlier head is gone); 69 groff missing for --format pdf; 73 --output exists.
            """
    )

    @OptionGroup var options: GlobalOptions
    @Option(help: "First day deletions were executed (YYYY-MM-DD).") var from: String?
    @Option(help: "Last day deletions were executed (YYYY-MM-DD).") var to: String?
    @Option(
        name: .customLong("check-head"),
        help: "A chain head printed by an earlier certificate; it must still be on the chain."
    )
    var checkHeads: [String] = []
    @OptionGroup var output: OutputOptions
    @OptionGroup var document: DocumentOptions

    func run() throws {
        let configuration = try options.load()
        func date(_ text: String?, _ name: String) throws -> ExtractDate? {
            guard let text else { return nil }
            guard let d = ExtractDate(iso: text) else {
                throw CommandFailure(.config, "--\(name) must be a date, YYYY-MM-DD")
            }
            return d
        }
        let start = try date(from, "from")
        let end = try date(to, "to")
        guard let store = try openStoreForReading(configuration) else {
            throw CommandFailure(.noInput, noDatabaseYet(configuration))
        }
        let records = try store.purgeRecords(from: start, to: end)
        let verification = try store.verifyPurgeChain(earlierHeads: checkHeads)
        var totals: [String: [String: Int]] = [:]
        for r in records {
            for (k, v) in r.counts { totals[r.rule, default: [:]][k, default: 0] += v }
        }
        let report = CertificateReport(
            parties: .init(
                commune: configuration.commune,
                academy: configuration.academy,
                publisher: configuration.publisher
            ),
            period: .init(from: start, to: end),
            records: records,
            totals: totals,
            chain: .init(
                verified: verification.ok,
                records: verification.records,
                head: verification.head,
                problems: verification.problems
            )
        )
        if output.json {
            try printJSON(report)
        } else {
            let text = CertificateText.french(
                report,
                pruning: try store.lastPruning().map {
                    CertificateText.Pruning(marker: $0.marker, through: $0.through)
                },
                today: configuration.today,
                timeZone: configuration.schedule.timeZone
            )
            try document.emit(
                text,
                title: "Certificat de suppression",
                header: configuration.commune,
                what: "the certificate of deletion"
            )
        }
        guard verification.ok else {
            throw CommandFailure(
                .dataError,
                "the chain of deletion records does not verify: " + verification.problems.joined(separator: "; ")
            )
        }
    }
}

/// `aafd consent`: the consent register for staff home addresses (R2).
struct ConsentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent",
        abstract: "Record, revoke and list staff consents to storing their home address (R2).",
        subcommands: [Grant.self, Revoke.self, List.self]
    )

    struct FieldOptions: ParsableArguments {
        @Argument(help: "The staff member's jointure.") var jointure: String
        @Option(help: "The data consented to: home-address.") var field: String = DirectoryStore.homeAddressField
        @Option(help: "Who records this (the administrator).") var by: String

        /// Loads the configuration, takes the run lock, opens the directory, and hands them to `body`.
        func withStore(_ options: GlobalOptions, _ body: (DirectoryStore, _ at: String) throws -> Void) throws {
            let configuration = try options.load()
            let lock = try RunLock(path: configuration.lockPath)
            defer { withExtendedLifetime(lock) {} }
            try body(try openStore(configuration), Timestamp.string(configuration.importSettings.now()))
        }

        func validate() throws {
            guard field == DirectoryStore.homeAddressField else {
                throw ValidationError("--field must be home-address")
            }
            guard !by.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("--by must name who records it")
            }
        }
    }

    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a consent; the next import stores the address."
        )
        @OptionGroup var options: GlobalOptions
        @OptionGroup var consent: FieldOptions

        func run() throws {
            try consent.withStore(options) { store, at in
                do {
                    try store.grantConsent(
                        jointure: consent.jointure,
                        field: consent.field,
                        recordedBy: consent.by,
                        at: at
                    )
                } catch let error as StoreError {
                    throw CommandFailure(.noInput, error.message)
                }
            }
            print("consent recorded; the next import stores the home address")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a consent; the stored address is erased at once."
        )
        @OptionGroup var options: GlobalOptions
        @OptionGroup var consent: FieldOptions

        func run() throws {
            var existed = false
            do {
                try consent.withStore(options) { store, at in
                    existed = try store.revokeConsent(
                        jointure: consent.jointure,
                        field: consent.field,
                        recordedBy: consent.by,
                        at: at
                    )
                    let configuration = try options.load()
                    RunCycle(settings: configuration.run, store: store, logger: options.logger(configuration))
                        .publicationStep()
                }
            } catch is ErasurePending {
                // Revoked and journaled, but a reader kept the old address in the database files (R12).
                let configuration = try options.load()
                try settleErasure(false, configuration, try openStore(configuration), options, done: "revoked")
            }
            print(
                existed
                    ? "consent revoked; the stored home address was erased"
                    : "no such consent; nothing stored (revocation journaled)"
            )
        }
    }

    struct List: RegisterListing {
        static let configuration = CommandConfiguration(abstract: "List recorded consents.")
        @OptionGroup var options: GlobalOptions
        @OptionGroup var output: OutputOptions
        var nothing: String { "no consent recorded" }

        func rows(_ store: DirectoryStore, _ configuration: Configuration) throws -> [Consent] { try store.consents() }

        func line(_ c: Consent, _ configuration: Configuration) -> String {
            "\(c.jointure)  \(c.field)  since \(c.grantedAt)  recorded by \(c.recordedBy)"
        }
    }
}
