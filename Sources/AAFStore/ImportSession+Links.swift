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

    /// Writes the person's links: those the delivery reader read ahead, or read now.
    func writeLinks(personID id: Int, record: AAFRecord) throws {
        let links = record.links ?? RecordLinks(record)
        for structure in links.attachments {
            try statement(.insertAttachment).runFast(id, structure)
        }
        for guardian in links.guardians {
            try statement(.insertGuardianship).runFast(id, guardian.value, guardian.position)
        }
        for membership in links.classes + links.groups {
            let insert = statement(.insertMembership)
            insert.reset()
            try insert.bind(.int(id), at: 1)
            try insert.bindText(membership.kind.rawValue, at: 2)
            try insert.bindText(membership.structure, at: 3)
            try insert.bindText(membership.code, at: 4)
            try insert.bindText(membership.label, at: 5)
            while try insert.step() {}
        }
        for function in links.functions {
            let f = function.value
            try statement(.insertFunction).run([
                .int(id), .int(function.position), .text(f.structure), .optional(f.functionCode),
                .optional(f.functionLabel), .optional(f.positionCode), .optional(f.positionLabel),
            ])
        }
        for structure in links.directorships {
            try statement(.insertDirectorship).runFast(id, structure)
        }
        // R15: names and counts only.
        skippedLinks.merge(links.skipped, uniquingKeysWith: +)
    }
}
