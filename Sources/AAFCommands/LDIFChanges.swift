import AAFModel
import AAFStore
import Foundation

/// The LDIF change records (RFC 2849 `changetype: add|modify|delete`) that bring an LDAP directory from a change-feed
/// cursor to now: for each entry that changed since, its state at the cursor (the first change says whether it was
/// active) and its state now (the views) give the net effect. Structures and people are added or modified first,
/// then classes and groups, then people and structures are deleted.
struct LDIFChanges {
    let store: DirectoryStore
    let baseDN: String
    let sink: ExportSink

    private var writer: ExportWriter { ExportWriter(format: .ldif, baseDN: baseDN, sink: sink) }

    /// - Returns: how many entries changed (each written as an add, a modify or a delete).
    @discardableResult
    func write(after cursor: Int) throws -> Int {
        try sink.write("version: 1\n\n")
        let entries = try store.changeFeed.changedEntries(after: cursor)
        var deletions: [String] = []
        for order in ["structure", "person", "group"] {
            for e in entries where e.kind == order {
                let now: (dn: String, attributes: [(String, String)])?
                // The DN to delete, needed only when the entry is gone (a structure's or group's DN needs its UAI).
                let gone: () throws -> String
                switch e.kind {
                case "structure":
                    now = try store.typedExportRecord(of: .structure, jointure: e.key).map {
                        ExportWriter.ldapEntry($0, baseDN: baseDN)
                    }
                    gone = { ExportWriter.structureDN(try store.structureUAI(jointure: e.key) ?? e.key, baseDN) }
                case "person":
                    now = try AAFCategory(entName: e.category).flatMap {
                        try store.typedExportRecord(of: $0, jointure: e.key)
                    }.map { ExportWriter.ldapEntry($0, baseDN: baseDN) }
                    gone = { ExportWriter.personDN(e.key, baseDN) }
                default:
                    let parts = e.key.split(separator: "$", maxSplits: 1).map(String.init)
                    let structure = parts.first ?? ""
                    let code = parts.count > 1 ? parts[1] : ""
                    now = try store.exportGroup(kind: e.category, structure: structure, code: code).flatMap {
                        ExportWriter.ldapGroup($0, baseDN: baseDN)
                    }
                    gone = {
                        let uai = try store.structureUAI(jointure: structure) ?? structure
                        return ExportWriter.groupDN(
                            ExportWriter.groupName(uai: uai, kind: e.category, code: code),
                            baseDN
                        )
                    }
                }
                switch (e.wasActive, now) {
                case (false, let entry?): try add(entry)
                case (true, let entry?): try modify(entry)
                case (true, nil): if e.kind == "group" { try delete(try gone()) } else { deletions.append(try gone()) }
                case (false, nil): break
                }
            }
        }
        // People before structures: the order the entries were created in, reversed.
        for dn in deletions.reversed() { try delete(dn) }
        return entries.count
    }

    private func add(_ entry: (dn: String, attributes: [(String, String)])) throws {
        var text = ExportWriter.ldifLine("dn", entry.dn) + "changetype: add\n"
        for (name, value) in entry.attributes { text += ExportWriter.ldifLine(name, value) }
        try sink.write(text + "\n")
    }

    /// Every attribute but the object class and the naming one replaced by its values now (none: removed).
    private func modify(_ entry: (dn: String, attributes: [(String, String)])) throws {
        let naming = entry.dn.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
        let replaced: [String]
        switch entry.attributes.first(where: { $0.0 == "objectClass" })?.1 {
        case "inetOrgPerson":
            replaced = ["sn", "cn", "givenName", "mail", "employeeType", "departmentNumber", "seeAlso"]
        case "groupOfNames": replaced = ["ou", "description", "member"]
        default: replaced = ["businessCategory", "description", "postalCode", "l"]
        }
        var text = ExportWriter.ldifLine("dn", entry.dn) + "changetype: modify\n"
        for name in replaced where name != naming {
            text += "replace: \(name)\n"
            for (n, value) in entry.attributes where n == name { text += ExportWriter.ldifLine(n, value) }
            text += "-\n"
        }
        try sink.write(text + "\n")
    }

    private func delete(_ dn: String) throws {
        try sink.write(ExportWriter.ldifLine("dn", dn) + "changetype: delete\n\n")
    }
}
