import AAFModel
import AAFPipeline
import AAFPolicy
import AAFStore
import ArgumentParser
import Foundation

/// `aafd request`: the register of data subjects' requests (convention art. 7; issue 14). aafd's directory is a
/// copy of the académie's AAF: rectification and erasure happen at the source, so the commune's duty is to forward
/// everything the académie needs within 8 days of receipt, and, while a restriction or an opposition is examined,
/// to keep the person out of what the ENT reads.
struct RequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Register data subjects' requests (art. 7): deadlines, restriction, answers.",
        subcommands: [Open.self, List.self, Forward.self, Close.self, Dossier.self]
    )

    static func date(_ text: String, _ option: String) throws -> ExtractDate {
        guard let d = ExtractDate(iso: text) else { throw ValidationError("--\(option) must be a date, YYYY-MM-DD") }
        return d
    }

    /// Takes the run lock and opens the directory for a change to the register.
    static func withStore(
        _ options: GlobalOptions,
        _ body: (DirectoryStore, Configuration, _ at: String) throws -> Void
    ) throws {
        let configuration = try options.load()
        let lock = try RunLock(path: configuration.lockPath)
        defer { withExtendedLifetime(lock) {} }
        let store = try openStore(configuration)
        do {
            try body(store, configuration, Timestamp.string(configuration.importSettings.now()))
        } catch let refused as RequestRefused {
            throw CommandFailure(.noInput, refused.message)
        }
    }

    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a request received; prints its number and the date to forward it by.",
            discussion: """
                A restriction or an opposition takes the person out of every view, export, published copy and \
                change feed the ENT reads until the request is closed (Docs/data-protection.md, "Restriction"). \
                Journaled; exit 0.
                """
        )
        @OptionGroup var options: GlobalOptions
        @Option(help: "access, rectification, erasure, opposition, restriction or post-mortem.") var kind: String
        @Argument(help: "The person's AAF jointure.") var jointure: String
        @Option(help: "The day the commune received it (YYYY-MM-DD).") var received: String
        @Option(
            name: .customLong("publisher-received"),
            help: "The day the ENT publisher received it, when it came through the publisher (YYYY-MM-DD)."
        )
        var publisherReceived: String?
        @Option(help: "Who received and records it.") var by: String

        func validate() throws {
            guard RightsRequestRegister.kinds.contains(kind) else {
                throw ValidationError("--kind must be one of " + RightsRequestRegister.kinds.joined(separator: ", "))
            }
            guard !by.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--by is required") }
        }

        func run() throws {
            let receivedOn = try RequestCommand.date(received, "received")
            let publisherOn = try publisherReceived.map { try RequestCommand.date($0, "publisher-received") }
            try RequestCommand.withStore(options) { store, configuration, at in
                guard receivedOn <= configuration.today else {
                    throw CommandFailure(.config, "--received is after today: check the date")
                }
                let due = ConventionClocks.forwardDue(receivedOn: receivedOn)
                let id = try store.requests.open(
                    kind: kind,
                    jointure: jointure,
                    receivedOn: receivedOn,
                    publisherReceivedOn: publisherOn,
                    receivedBy: by,
                    forwardDue: due,
                    at: at,
                    by: AdminIdentity.current(by: by)
                )
                print("request \(id) (\(kind)) opened: forward it to the académie by \(due.iso) (art. 7: 8 days)")
                if let publisherOn {
                    let publisherDue = ConventionClocks.publisherDue(publisherReceivedOn: publisherOn)
                    if receivedOn > publisherDue {
                        print(
                            "  the publisher forwarded it late: due by \(publisherDue.iso) (art. 6.3: 3 working days)"
                        )
                    }
                }
                if RightsRequestRegister.restrictingKinds.contains(kind) {
                    // At once, not at the next morning's run: the ENT's copy without the person.
                    RunCycle(settings: configuration.run, store: store, logger: options.logger(configuration))
                        .publicationStep()
                    print("  the person is out of the ENT's views, exports and copy until the request is closed")
                }
                if try store.persons(jointure: jointure).isEmpty {
                    print("  note: that jointure is not in the directory now")
                }
            }
        }
    }

    struct List: RegisterListing {
        static let configuration = CommandConfiguration(abstract: "List the requests, newest first.")
        @OptionGroup var options: GlobalOptions
        @Flag(help: "Only open requests not forwarded by their deadline.") var overdue = false
        @Flag(help: "Only open requests.") var open = false
        @OptionGroup var output: OutputOptions
        var nothing: String { "no request" + (overdue ? " overdue" : "") }

        func rows(_ store: DirectoryStore, _ configuration: Configuration) throws -> [RightsRequest] {
            let requests = try store.requests.list(openOnly: open || overdue)
            return overdue ? requests.filter { $0.isOverdue(on: configuration.today) } : requests
        }

        func line(_ r: RightsRequest, _ configuration: Configuration) -> String {
            let state: String
            if let closed = r.closedAt {
                state = "closed \(closed.prefix(10)): \(OutsideText.escaped(r.outcome ?? ""))"
            } else if let forwarded = r.forwardedOn {
                state = "forwarded \(forwarded.iso), open"
            } else {
                state =
                    r.isOverdue(on: configuration.today)
                    ? "OVERDUE: forward was due by \(r.forwardDue.iso)" : "forward by \(r.forwardDue.iso)"
            }
            // What administrators typed, from the database: one line each, controls visible (issue 20).
            let e = OutsideText.escaped
            return "#\(r.id) \(r.kind) \(e(r.jointure)) received \(r.receivedOn.iso) by \(e(r.receivedBy)); \(state)"
        }
    }

    struct Forward: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that the request went to the académie (the deadline is met); it stays open."
        )
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The request's number.") var id: Int
        @Option(help: "The day it was sent (YYYY-MM-DD); default today.") var on: String?
        @Option(help: "Who sent it.") var by: String

        func run() throws {
            try RequestCommand.withStore(options) { store, configuration, at in
                let day = try on.map { try RequestCommand.date($0, "on") } ?? configuration.today
                try store.requests.forward(id, on: day, at: at, by: AdminIdentity.current(by: by))
                print("request \(id) forwarded on \(day.iso)")
            }
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a request with its outcome; a restriction or opposition ends with it.",
            discussion: "Outcomes: answered, rectified-at-source, erased-at-source, refused, withdrawn."
        )
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The request's number.") var id: Int
        @Option(help: "How it ended.") var outcome: String
        @Option(help: "Who closes it.") var by: String

        static let outcomes = ["answered", "rectified-at-source", "erased-at-source", "refused", "withdrawn"]

        func validate() throws {
            guard Close.outcomes.contains(outcome) else {
                throw ValidationError("--outcome must be one of " + Close.outcomes.joined(separator: ", "))
            }
        }

        func run() throws {
            try RequestCommand.withStore(options) { store, configuration, at in
                try store.requests.close(id, outcome: outcome, at: at, by: AdminIdentity.current(by: by))
                RunCycle(settings: configuration.run, store: store, logger: options.logger(configuration))
                    .publicationStep()
                print("request \(id) closed: \(outcome)")
            }
        }
    }
}

/// Who is at the keyboard, for the administrator journal: the Unix user who started aafd (before it took the
/// `aafd` user's identity, ServiceIdentity), the one sudo names, and the name given with `--by`.
enum AdminIdentity {
    nonisolated(unsafe) static var unixUser: String = {
        if let pw = getpwuid(getuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
    }()

    static func current(by: String?) -> String {
        var who = "unix:\(unixUser)"
        if let sudo = ProcessInfo.processInfo.environment["SUDO_USER"], sudo != unixUser {
            who += " (sudo from \(sudo))"
        }
        if let by, !by.isEmpty { who += "; by: \(by)" }
        return who
    }
}
