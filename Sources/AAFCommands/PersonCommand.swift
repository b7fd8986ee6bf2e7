import AAFFileSystem
import AAFModel
import AAFPipeline
import AAFStore
import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

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

    @OptionGroup var output: OutputOptions

    @OptionGroup var reader: ReaderOptions
    @Option(
        name: .customLong("for-request"),
        help: "A rights request's number: writes the answer to a 0600 file and links it to the request."
    )
    var forRequest: Int?
    @Option(
        help: """
            With --for-request: the answer's file, in state_dir/answers and named request-N… (default: \
            request-N.txt or .json there): an answer is erased with its person, its request, or after 92 days, so \
            it is never written elsewhere.
            """
    )
    var answer: String?

    func run() throws {
        let configuration = try options.load()
        guard let store = try openStoreForReading(configuration, readOnly: false) else {
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
        let restricted = try store.requests.isRestricted(jointure: jointure)
        // Who looked (issue 14): journaled before anything is shown; a read that cannot be journaled is not done.
        let at = Timestamp.string(configuration.importSettings.now())
        let why = forRequest.map { "request \($0)" } ?? reader.reason.map { "reason: \($0)" }
        do {
            try store.adminJournal.recordRead(
                "read-person",
                jointure: jointure,
                by: AdminIdentity.current(by: reader.by),
                at: at,
                detail: why
            )
        } catch {
            throw CommandFailure(.tempFail, "cannot journal this read (\(error)); nothing shown, try again")
        }
        let files = try Self.answerFiles(of: jointure, store: store, folder: configuration.answersDirectory)
        var text = ""
        if output.json {
            let reports = found.map {
                var report = PersonReport($0, consents: consents, storedRows: rows.tables, restricted: restricted)
                report.answerFiles = files
                return report
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data: Data
            switch reports.count {
            case 0:
                var absent = AbsentPersonReport(jointure: jointure, consents: consents, storedRows: rows.tables)
                absent.answerFiles = files
                data = try encoder.encode(absent)
            case 1: data = try encoder.encode(reports[0])
            default: data = try encoder.encode(["matches": reports])
            }
            text = safeJSON(data) + "\n"
        } else {
            var lines: [String] = []
            if found.isEmpty {
                lines.append("\(OutsideText.escaped(jointure)): not in the directory; other records refer to it")
            }
            for person in found { lines.append(PersonText.render(person)) }
            if restricted {
                lines.append(
                    "  RESTRICTED: an open restriction or opposition request; out of every view, export and copy the ENT reads"
                )
            }
            for c in consents {
                lines.append(
                    "  consent: \(c.field) since \(c.grantedAt), recorded by \(OutsideText.escaped(c.recordedBy))"
                )
            }
            for file in files {
                lines.append(
                    "  answer file (erased with its request or this person, R14): \(OutsideText.escaped(file))"
                )
            }
            for (table, tableRows) in rows.tables.sorted(by: { $0.key < $1.key }) {
                lines.append("  stored in \(table): \(tableRows.count) row\(tableRows.count == 1 ? "" : "s")")
                for row in tableRows {
                    lines.append(
                        "    "
                            + row.sorted { $0.key < $1.key }.map {
                                "\($0.key)=\($0.value.map(OutsideText.escaped) ?? "NULL")"
                            }.joined(
                                separator: " "
                            )
                    )
                }
            }
            text = OutsideText.escapedKeepingLines(lines.joined(separator: "\n") + "\n")
        }
        guard let request = forRequest else {
            writeOutput(text)
            return
        }
        let path = try answerPath(request, configuration)
        try AnswerFile.write(text, to: path)
        do {
            try store.requests.attachAnswer(request, file: path, at: at, by: AdminIdentity.current(by: reader.by))
        } catch let refused as RequestRefused {
            unlink(path)
            throw CommandFailure(.noInput, refused.message)
        }
        print("the access answer for request \(request) is in \(path) (0600); send it to the académie")
    }
}

extension PersonShowCommand {
    /// The files in `answers/` made for this person's requests: access answers (`request-N.txt|json`) and dossiers
    /// (`request-N-dossier.txt|pdf`), which hold a copy of the person's data until the purge erases them.
    static func answerFiles(of jointure: String, store: DirectoryStore, folder: String) throws -> [String] {
        let ids = try store.requests.list().filter { $0.jointure == jointure }.map(\.id)
        guard !ids.isEmpty, let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.filter { name in
            ids.contains { name.hasPrefix("request-\($0).") || name.hasPrefix("request-\($0)-") }
        }.sorted().map { (folder as NSString).appendingPathComponent($0) }
    }

    /// Where the answer to `request` goes: only in `answers/`, named `request-N…`, where its retention is applied
    /// (issue 23: an answer elsewhere would outlive its person); any other `--answer` is a usage error (64).
    func answerPath(_ request: Int, _ configuration: Configuration) throws -> String {
        let folder = URL(fileURLWithPath: configuration.answersDirectory).standardizedFileURL.path
        guard let answer else {
            return (folder as NSString).appendingPathComponent("request-\(request).\(output.json ? "json" : "txt")")
        }
        let given = URL(fileURLWithPath: answer).standardizedFileURL
        let name = given.lastPathComponent
        guard given.deletingLastPathComponent().path == folder, name.hasPrefix("request-\(request)."),
            DeliveryFileName.isSafe(name)
        else {
            throw ValidationError(
                "--answer must name a file request-\(request).… in \(folder): answers are kept only there, where they "
                    + "are erased with their person or request (or leave it out for the default)"
            )
        }
        return given.path
    }
}

/// The access answer's file: created 0600 (never over an existing file: exit 73), its folder 0700.
enum AnswerFile {
    static func write(_ text: String, to path: String, hint: String = "or choose --answer") throws {
        try write(Array(text.utf8), to: path, hint: hint)
    }

    static func write(_ bytes: [UInt8], to path: String, hint: String) throws {
        do {
            try PrivateDirectory.ensure(PathTrust.folder(of: path))
        } catch {
            throw CommandFailure(.cantCreate, "cannot create the folder of \(path)")
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw CommandFailure(
                .cantCreate,
                "cannot create \(path) (errno \(errno)): it exists, \(hint); nothing was written"
            )
        }
        let ok = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) == $0.count } && fsync(fd) == 0
        Glibc.close(fd)
        guard ok else {
            unlink(path)
            throw CommandFailure(.ioError, "cannot write \(path)")
        }
    }
}

/// `person show --json`: everything stored about one person (R14). Every key is present; absent values are null.
struct PersonReport: Encodable {
    /// An attribute's values: a string for a single-valued attribute given once, a list otherwise.
    enum Values: Encodable {
        case single(String)
        case list([String])

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .single(let value): try c.encode(value)
            case .list(let values): try c.encode(values)
            }
        }
    }

    /// Links by kind; only the kinds the person's category has are present.
    struct Links: Encodable {
        var structures: [PersonDetails.StructureLink]
        var classes: [Membership]
        var groups: [Membership]
        var guardians: [PersonDetails.PersonLink]?
        var pupils: [PersonDetails.PersonLink]?
        var functions: [StaffFunction]?
        var directs: [PersonDetails.StructureLink]?
    }

    var jointure: String
    var category: String
    var attributes: [String: Values]
    var links: Links
    @NullEncoded var firstSeen: ExtractDate?
    @NullEncoded var updatedOn: ExtractDate?
    @NullEncoded var departedOn: ExtractDate?
    @NullEncoded var purgeDue: ExtractDate?
    var consents: [Consent]
    var storedRows: [String: [[String: String?]]]
    /// Under an open restriction or opposition request: out of everything the ENT reads (issue 14).
    var restricted: Bool
    /// The access answers and dossiers of this person's requests in `answers/` (erased with them, R14).
    var answerFiles: [String] = []

    enum CodingKeys: String, CodingKey {
        case jointure, category, attributes, links, restricted
        case firstSeen = "first_seen"
        case updatedOn = "updated_on"
        case departedOn = "departed_on"
        case purgeDue = "purge_due"
        case consents
        case storedRows = "stored_rows"
        case answerFiles = "answer_files"
    }

    init(_ p: PersonDetails, consents: [Consent], storedRows: [String: [[String: String?]]], restricted: Bool) {
        self.restricted = restricted
        // A name repeated in the record keeps every value (R14): values are gathered by name, not overwritten.
        var gathered: [String: [String]] = [:]
        for a in p.attributes { gathered[a.name, default: []] += a.values }
        attributes = gathered.mapValues { values in
            values.count == 1 ? .single(values[0]) : .list(values)
        }
        for (name, values) in gathered where AttributeCatalog.multiValued.contains(name) {
            attributes[name] = .list(values)
        }
        jointure = p.jointure
        category = p.category.rawValue
        var links = Links(structures: p.structures, classes: p.classes, groups: p.groups)
        switch p.category {
        case .pupil: links.guardians = p.guardians
        case .guardian: links.pupils = p.pupils
        case .staff:
            links.functions = p.functions
            links.directs = p.directs
        case .structure: break
        }
        self.links = links
        firstSeen = p.firstSeen
        updatedOn = p.updatedOn
        departedOn = p.departedOn
        purgeDue = p.purgeDue
        self.consents = consents
        self.storedRows = storedRows
    }
}

/// `person show --json` when nobody in the directory has that jointure but rows still refer to it (consents,
/// journal): what is stored, all the same (R14).
struct AbsentPersonReport: Encodable {
    var jointure: String
    var inDirectory = false
    var consents: [Consent]
    var storedRows: [String: [[String: String?]]]
    var answerFiles: [String] = []

    enum CodingKeys: String, CodingKey {
        case jointure
        case inDirectory = "in_directory"
        case consents
        case storedRows = "stored_rows"
        case answerFiles = "answer_files"
    }

    init(jointure: String, consents: [Consent], storedRows: [String: [[String: String?]]]) {
        self.jointure = jointure
        self.consents = consents
        self.storedRows = storedRows
    }
}

/// `person show` for a reader.
enum PersonText {
    static func render(_ p: PersonDetails) -> String {
        // Every value came from a delivery: each stays on its line, its controls visible (issue 20).
        let e = OutsideText.escaped
        var lines = ["\(p.category.rawValue) \(e(p.jointure))"]
        for a in p.attributes { lines.append("  \(a.name): \(a.values.map(e).joined(separator: " | "))") }
        lines.append(
            "  schools: "
                + p.structures.map { "\(e($0.jointure)) (\($0.uai.map(e) ?? "not in directory"))" }.joined(
                    separator: ", "
                )
        )
        if !p.classes.isEmpty {
            lines.append("  classes: " + p.classes.map { "\(e($0.code)) \(e($0.label))" }.joined(separator: ", "))
        }
        if !p.groups.isEmpty {
            lines.append("  groups: " + p.groups.map { "\(e($0.code)) \(e($0.label))" }.joined(separator: ", "))
        }
        if !p.guardians.isEmpty {
            lines.append("  guardians: " + p.guardians.map { e($0.jointure) }.joined(separator: ", "))
        }
        if !p.pupils.isEmpty { lines.append("  pupils: " + p.pupils.map { e($0.jointure) }.joined(separator: ", ")) }
        if !p.functions.isEmpty {
            lines.append(
                "  functions: "
                    + p.functions.map {
                        "\(e($0.structure)) \($0.functionCode.map(e) ?? "-") \($0.positionLabel.map(e) ?? "-")"
                    }.joined(
                        separator: ", "
                    )
            )
        }
        if !p.directs.isEmpty {
            lines.append("  directs: " + p.directs.map { e($0.jointure) }.joined(separator: ", "))
        }
        lines.append("  first seen \(p.firstSeen?.iso ?? "-"), updated \(p.updatedOn?.iso ?? "-")")
        lines.append("  departed on \(p.departedOn?.iso ?? "-"), purge due \(p.purgeDue?.iso ?? "-")")
        return lines.joined(separator: "\n")
    }
}
