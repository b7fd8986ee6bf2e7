import AAFModel
import Glibc

extension ImportSession {

    var lastInsertRowID: Int64 { connection.lastInsertRowID }

    func isReferencedByActivePupil(_ jointure: String) throws -> Bool {
        statement(.guardianReferenced).reset()
        try statement(.guardianReferenced).bindText(jointure, at: 1)
        defer { statement(.guardianReferenced).reset() }
        return try statement(.guardianReferenced).step()
    }

    /// The link attributes of each category: only these are decoded from the stored bytes.
    static let linkAttributes: [AAFCategory: [String]] = [
        .pupil: ["ENTPersonStructRattach", "ENTEleveAutoriteParentale", "ENTPersonClasses", "ENTPersonGroupes"],
        .staff: ["ENTPersonStructRattach", "ENTPersonFonctions", "ENTEnsFonctionDir"],
        .guardian: [],
        .structure: [],
    ]

    func writeLinks(personID id: Int, record: AAFRecord) throws {
        for name in ImportSession.linkAttributes[record.category] ?? [] {
            let values = record.values(name)
            if values.isEmpty { continue }
            switch name {
            case "ENTPersonStructRattach":
                try each(values, of: name, parse: StructureReference.jointure) { _, structure in
                    try statement(.insertAttachment).runFast(id, structure)
                }
            case "ENTEleveAutoriteParentale":
                try each(values, of: name, parse: GuardianReference.jointure) { position, guardian in
                    try statement(.insertGuardianship).runFast(id, guardian, position)
                }
            case "ENTPersonClasses", "ENTPersonGroupes":
                let kind: Membership.Kind = name == "ENTPersonClasses" ? .class : .group
                try each(values, of: name, parse: { Membership(kind: kind, value: $0) }) { _, m in
                    try statement(.insertMembership).run([
                        .int(id), .text(m.kind.rawValue), .text(m.structure), .text(m.code), .text(m.label),
                    ])
                }
            case "ENTPersonFonctions":
                try each(values, of: name, parse: StaffFunction.init(value:)) { position, f in
                    try statement(.insertFunction).run([
                        .int(id), .int(position), .text(f.structure), .optional(f.functionCode),
                        .optional(f.functionLabel),
                        .optional(f.positionCode), .optional(f.positionLabel),
                    ])
                }
            case "ENTEnsFonctionDir":
                try each(values, of: name, parse: StructureReference.jointure) { _, structure in
                    try statement(.insertDirectorship).runFast(id, structure)
                }
            default:
                break
            }
        }
    }

    /// Parses each value of a link attribute and writes the readable ones with their position; an unreadable one
    /// is counted by attribute name (R15: a name, never the value) and skipped.
    private func each<T>(
        _ values: [String],
        of name: String,
        parse: (String) -> T?,
        write: (Int, T) throws -> Void
    ) throws {
        for (position, value) in values.enumerated() {
            guard let parsed = parse(value) else {
                skippedLinks[name, default: 0] += 1
                continue
            }
            try write(position, parsed)
        }
    }
}
