import Glibc
import AAFModel

extension ImportSession {

    var lastInsertRowID: Int64 { connection.lastInsertRowID }

    func isReferencedByActivePupil(_ jointure: String) throws -> Bool {
        guardianReferenced.reset()
        try guardianReferenced.bindText(jointure, at: 1)
        defer { guardianReferenced.reset() }
        return try guardianReferenced.step()
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
                for value in values {
                    guard let structure = StructureReference.jointure(value) else {
                        skippedLinks[name, default: 0] += 1
                        continue
                    }
                    try insertAttachment.runFast(id, structure)
                }
            case "ENTEleveAutoriteParentale":
                for (position, value) in values.enumerated() {
                    guard let guardian = GuardianReference.jointure(value) else {
                        skippedLinks[name, default: 0] += 1
                        continue
                    }
                    try insertGuardianship.runFast(id, guardian, position)
                }
            case "ENTPersonClasses", "ENTPersonGroupes":
                let kind: Membership.Kind = name == "ENTPersonClasses" ? .class : .group
                for value in values {
                    guard let m = Membership(kind: kind, value: value) else {
                        skippedLinks[name, default: 0] += 1
                        continue
                    }
                    try insertMembership.run([.int(id), .text(m.kind.rawValue), .text(m.structure), .text(m.code), .text(m.label)])
                }
            case "ENTPersonFonctions":
                for (position, value) in values.enumerated() {
                    guard let f = StaffFunction(value: value) else {
                        skippedLinks[name, default: 0] += 1
                        continue
                    }
                    try insertFunction.run([
                        .int(id), .int(position), .text(f.structure), .optional(f.functionCode), .optional(f.functionLabel),
                        .optional(f.positionCode), .optional(f.positionLabel),
                    ])
                }
            case "ENTEnsFonctionDir":
                for value in values {
                    guard let structure = StructureReference.jointure(value) else {
                        skippedLinks[name, default: 0] += 1
                        continue
                    }
                    try insertDirectorship.runFast(id, structure)
                }
            default:
                break
            }
        }
    }
}
