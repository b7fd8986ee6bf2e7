import AAFModel
import AAFStore
import ArgumentParser
import Foundation

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
        if output.json {
            let reports = found.map { PersonReport($0, consents: consents, storedRows: rows.tables) }
            switch reports.count {
            case 0: try printJSON(AbsentPersonReport(jointure: jointure, consents: consents, storedRows: rows.tables))
            case 1: try printJSON(reports[0])
            default: try printJSON(["matches": reports])
            }
            return
        }
        if found.isEmpty { print("\(jointure): not in the directory; other records refer to it") }
        for person in found { print(PersonText.render(person)) }
        for c in consents { print("  consent: \(c.field) since \(c.grantedAt), recorded by \(c.recordedBy)") }
        for (table, tableRows) in rows.tables.sorted(by: { $0.key < $1.key }) {
            print("  stored in \(table): \(tableRows.count) row\(tableRows.count == 1 ? "" : "s")")
            for row in tableRows {
                print(
                    "    "
                        + row.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value ?? "NULL")" }.joined(
                            separator: " "
                        )
                )
            }
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

    enum CodingKeys: String, CodingKey {
        case jointure, category, attributes, links
        case firstSeen = "first_seen"
        case updatedOn = "updated_on"
        case departedOn = "departed_on"
        case purgeDue = "purge_due"
        case consents
        case storedRows = "stored_rows"
    }

    init(_ p: PersonDetails, consents: [Consent], storedRows: [String: [[String: String?]]]) {
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

    enum CodingKeys: String, CodingKey {
        case jointure
        case inDirectory = "in_directory"
        case consents
        case storedRows = "stored_rows"
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
        var lines = ["\(p.category.rawValue) \(p.jointure)"]
        for a in p.attributes { lines.append("  \(a.name): \(a.values.joined(separator: " | "))") }
        lines.append(
            "  schools: "
                + p.structures.map { "\($0.jointure) (\($0.uai ?? "not in directory"))" }.joined(separator: ", ")
        )
        if !p.classes.isEmpty {
            lines.append("  classes: " + p.classes.map { "\($0.code) \($0.label)" }.joined(separator: ", "))
        }
        if !p.groups.isEmpty {
            lines.append("  groups: " + p.groups.map { "\($0.code) \($0.label)" }.joined(separator: ", "))
        }
        if !p.guardians.isEmpty { lines.append("  guardians: " + p.guardians.map(\.jointure).joined(separator: ", ")) }
        if !p.pupils.isEmpty { lines.append("  pupils: " + p.pupils.map(\.jointure).joined(separator: ", ")) }
        if !p.functions.isEmpty {
            lines.append(
                "  functions: "
                    + p.functions.map { "\($0.structure) \($0.functionCode ?? "-") \($0.positionLabel ?? "-")" }.joined(
                        separator: ", "
                    )
            )
        }
        if !p.directs.isEmpty { lines.append("  directs: " + p.directs.map(\.jointure).joined(separator: ", ")) }
        lines.append("  first seen \(p.firstSeen?.iso ?? "-"), updated \(p.updatedOn?.iso ?? "-")")
        lines.append("  departed on \(p.departedOn?.iso ?? "-"), purge due \(p.purgeDue?.iso ?? "-")")
        return lines.joined(separator: "\n")
    }
}
