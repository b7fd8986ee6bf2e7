import AAFModel
import AAFPolicy
import AAFStore
import ArgumentParser
import Foundation

/// `aafd incident`: the security incident register (convention art. 6.1 and 12; issue 14), apart from the
/// operational incidents of runs (R19, `aafd status`). Its clocks drive the alert command; `show` prints the
/// notification draft article 12 asks for.
struct IncidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident",
        abstract: "Register security incidents (art. 12): deadlines, notification draft, people concerned.",
        subcommands: [Declare.self, Update.self, Show.self, List.self, Close.self]
    )

    static func instant(_ text: String, _ option: String) throws -> String {
        guard let date = Timestamp.parse(text) else {
            throw ValidationError(
                "--\(option) must be a date and time: 2026-12-01T09:30 (local) or with Z or an offset"
            )
        }
        return Timestamp.string(date)
    }

    struct Declare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a security incident; prints its number and its deadlines.",
            discussion: """
                --at is when the commune learnt of it: the académie must be alerted within 48 hours (art. 6.1), the \
                CNIL notified within 72 hours for a breach or a suspected one unless the risk is documented as \
                unlikely (art. 12). Each deadline passed runs the alert command once.
                """
        )
        @OptionGroup var options: GlobalOptions
        @Option(help: "breach, suspected-breach or other.") var kind: String
        @Option(help: "When the commune learnt of it.") var at: String
        @Option(help: "Who declares it.") var by: String
        @Option(help: "What happened (no personal data: it is printed on the notification draft).") var nature: String?

        func validate() throws {
            guard SecurityIncidentRegister.kinds.contains(kind) else {
                throw ValidationError("--kind must be one of " + SecurityIncidentRegister.kinds.joined(separator: ", "))
            }
        }

        func run() throws {
            let known = try IncidentCommand.instant(at, "at")
            try RequestCommand.withStore(options) { store, configuration, now in
                guard known <= now else { throw CommandFailure(.config, "--at is in the future: check the date") }
                let id = try store.securityIncidents.declare(
                    kind: kind,
                    knownAt: known,
                    nature: nature,
                    at: now,
                    by: AdminIdentity.current(by: by)
                )
                print("security incident \(id) (\(kind)) declared, known at \(known)")
                for d in try store.securityIncidents.incident(id).openDeadlines() {
                    print("  \(d.what): by \(d.due) (art. \(d.article))")
                }
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record what is known and done: consequences, measures, contact, risk, notifications."
        )
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The incident's number.") var id: Int
        @Option var nature: String?
        @Option(help: "Probable consequences.") var consequences: String?
        @Option(help: "Measures taken or proposed.") var measures: String?
        @Option(help: "Who can give more information.") var contact: String?
        @Option(help: "unknown, unlikely, likely or high.") var risk: String?
        @Option(name: .customLong("risk-reason"), help: "Why (required with --risk unlikely).") var riskReason: String?
        @Option(name: .customLong("academy-alerted"), help: "When the académie was alerted.") var academyAlerted:
            String?
        @Option(name: .customLong("cnil-notified"), help: "When the CNIL was notified.") var cnilNotified: String?
        @Option(help: "Who records it.") var by: String

        func validate() throws {
            if let risk, !SecurityIncidentRegister.riskLevels.contains(risk) {
                throw ValidationError(
                    "--risk must be one of " + SecurityIncidentRegister.riskLevels.joined(separator: ", ")
                )
            }
            if risk == "unlikely", riskReason?.isEmpty ?? true {
                throw ValidationError("--risk unlikely needs --risk-reason: the convention asks to document it")
            }
        }

        func run() throws {
            var fields: [String: String] = [:]
            fields["nature"] = nature
            fields["consequences"] = consequences
            fields["measures"] = measures
            fields["contact"] = contact
            fields["risk"] = risk
            fields["risk_reason"] = riskReason
            fields["academy_alerted_at"] = try academyAlerted.map { try IncidentCommand.instant($0, "academy-alerted") }
            fields["cnil_notified_at"] = try cnilNotified.map { try IncidentCommand.instant($0, "cnil-notified") }
            guard !fields.isEmpty else { throw ValidationError("nothing to record: give at least one option") }
            try RequestCommand.withStore(options) { store, _, now in
                try store.securityIncidents.update(id, fields: fields, at: now, by: AdminIdentity.current(by: by))
                print("security incident \(id) updated: " + fields.keys.sorted().joined(separator: ", "))
            }
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a security incident.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The incident's number.") var id: Int
        @Option(help: "Who closes it.") var by: String

        func run() throws {
            try RequestCommand.withStore(options) { store, _, now in
                try store.securityIncidents.close(id, at: now, by: AdminIdentity.current(by: by))
                print("security incident \(id) closed")
            }
        }
    }

    struct List: RegisterListing {
        static let configuration = CommandConfiguration(abstract: "List the register, newest first.")
        @OptionGroup var options: GlobalOptions
        @OptionGroup var output: OutputOptions
        var nothing: String { "no security incident" }

        func rows(_ store: DirectoryStore, _ configuration: Configuration) throws -> [SecurityIncident] {
            try store.securityIncidents.list()
        }

        func line(_ i: SecurityIncident, _ configuration: Configuration) -> String {
            let open = i.openDeadlines().map { "\($0.key) by \($0.due)" }.joined(separator: ", ")
            return "#\(i.id) \(i.kind) known \(i.knownAt), risk \(i.risk); "
                + (i.closedAt.map { "closed \($0)" } ?? (open.isEmpty ? "open" : "open, due: \(open)"))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Print the notification (art. 12), in French: recipients, nature, consequences, measures, contact, people concerned.",
            discussion: """
                The recipients come from [convention] academie_alert_address and ien_address; the commune's DPO from \
                dpo_contact. Dates are in [schedule] timezone. --json prints the same facts as data; --format pdf \
                makes an A4 PDF with groff. Exit 0; 64 a PDF asked for a terminal; 66 no such incident; 69 groff \
                missing; 73 --output exists.
                """
        )
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The incident's number.") var id: Int
        @OptionGroup var output: OutputOptions
        @OptionGroup var document: DocumentOptions

        struct Estimate: Encodable {
            /// The import whose census describes the directory when the incident became known; nil: none had run.
            var directoryAsOf: String?
            var totals: [String: Int]
            var bySchool: [String: [String: Int]]
            enum CodingKeys: String, CodingKey {
                case directoryAsOf = "directory_as_of"
                case totals
                case bySchool = "by_school"
            }
        }

        struct Draft: Encodable {
            var incident: SecurityIncident
            var deadlines: [SecurityDeadline]
            var commune: String
            var estimate: Estimate
        }

        func run() throws {
            let configuration = try options.load()
            guard let store = try openStoreForReading(configuration) else {
                throw CommandFailure(.noInput, noDatabaseYet(configuration))
            }
            let incident: SecurityIncident
            do { incident = try store.securityIncidents.incident(id) } catch let refused as RequestRefused {
                throw CommandFailure(.noInput, refused.message)
            }
            // The directory as it was when the incident became known: the census of the last import before then
            // (the directory changes only by imports and purges), whatever imports ran since.
            var estimate = Estimate(directoryAsOf: nil, totals: [:], bySchool: [:])
            if let census = try store.census.atOrBefore(incident.knownAt) {
                estimate.directoryAsOf = census.finishedAt
                for row in census.rows {
                    let key = AAFCategory(rawValue: row.category)?.reportKey ?? row.category
                    if row.uai == "*" {
                        estimate.totals[key] = row.people
                    } else {
                        estimate.bySchool[row.uai, default: [:]][key] = row.people
                    }
                }
            }
            let draft = Draft(
                incident: incident,
                deadlines: incident.openDeadlines(),
                commune: configuration.commune,
                estimate: estimate
            )
            if output.json {
                try printJSON(draft)
                return
            }
            let text = IncidentNotification.text(
                draft,
                parties: .init(
                    commune: configuration.commune,
                    academy: configuration.academy,
                    alertAddress: configuration.academieAlertAddress,
                    ienAddress: configuration.ienAddress,
                    dpoContact: configuration.dpoContact,
                    timeZone: configuration.schedule.timeZone
                )
            )
            try document.emit(
                text,
                title: "Notification d'incident n° \(incident.id)",
                header: configuration.commune,
                what: "the notification of incident \(incident.id)"
            )
        }
    }
}
