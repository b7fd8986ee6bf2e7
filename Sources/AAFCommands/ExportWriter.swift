import AAFModel
import Foundation

/// Turns export records (JSON objects from the store) into JSON Lines, CSV (RFC 4180) or LDIF, one at a time.
struct ExportWriter {
    let format: ExportCommand.Format
    let baseDN: String
    let sink: ExportSink

    /// The CSV columns and how each cell is read from a record: one table for every category (empty where a
    /// category has no such field).
    static let csvCells: [(name: String, cell: @Sendable (ExportRecord) -> String)] = [
        ("category", { $0.category.entName }), ("jointure", { $0.jointure }), ("uai", { $0.uai ?? "" }),
        ("name", { $0.name ?? "" }), ("surname", { $0.surname ?? "" }), ("birth_surname", { $0.birthSurname ?? "" }),
        ("first_name", { $0.firstName ?? "" }), ("civility", { $0.civility ?? "" }),
        ("birth_date", { $0.birthDate ?? "" }), ("mail", { $0.mail ?? "" }),
        ("schools", { $0.schools.joined(separator: "|") }),
        ("classes", { $0.classes.joined(separator: "|") }),
        ("groups", { $0.groups.joined(separator: "|") }),
        ("guardians", { $0.guardians.joined(separator: "|") }),
        (
            "functions",
            {
                $0.functions.map { f in
                    [f.structure, f.functionCode, f.positionCode].map { $0 ?? "-" }.joined(separator: "$")
                }.joined(separator: "|")
            }
        ),
    ]
    static var csvColumns: [String] { csvCells.map(\.name) }

    func begin() throws {
        switch format {
        case .jsonl: break
        case .csv: try sink.write(ExportWriter.csvColumns.map(ExportWriter.csvField).joined(separator: ",") + "\r\n")
        case .ldif:
            try sink.write("version: 1\n\n")
            for unit in ["structures", "people", "groups"] {
                try entry("ou=\(unit),\(baseDN)", [("objectClass", "organizationalUnit"), ("ou", unit)])
            }
        }
    }

    /// JSON Lines: the store's JSON object as it is.
    func record(_ json: String) throws {
        try sink.write(json + "\n")
    }

    /// CSV and LDIF: from the typed record.
    func record(_ r: ExportRecord) throws {
        if format == .csv {
            let row = ExportWriter.csvCells.map { $0.cell(r) }
            return try sink.write(row.map(ExportWriter.csvField).joined(separator: ",") + "\r\n")
        }
        let (dn, attributes) = ExportWriter.ldapEntry(r, baseDN: baseDN)
        try entry(dn, attributes)
    }

    /// LDIF only: a class or group as a `groupOfNames` of its members.
    func group(_ json: String) throws {
        guard let (dn, attributes) = ExportWriter.ldapGroup(try ExportGroup(json: json), baseDN: baseDN) else { return }
        try entry(dn, attributes)
    }

    /// An export record's LDAP entry (Docs/ent-interface.md): its DN and attributes, `objectClass` first.
    static func ldapEntry(_ r: ExportRecord, baseDN: String) -> (dn: String, attributes: [(String, String)]) {
        let jointure = r.jointure
        if r.category == .structure {
            let uai = r.uai ?? ""
            var attributes: [(String, String)] = [
                ("objectClass", "organizationalUnit"), ("ou", uai.isEmpty ? jointure : uai),
                ("businessCategory", jointure),
            ]
            for (value, name) in [(r.name, "description"), (r.postalCode, "postalCode"), (r.city, "l")] {
                if let value, !value.isEmpty { attributes.append((name, value)) }
            }
            return (structureDN(uai.isEmpty ? jointure : uai, baseDN), attributes)
        }
        let surname = r.surname ?? ""
        let first = r.firstName ?? ""
        let full = [first, surname].filter { !$0.isEmpty }.joined(separator: " ")
        var attributes: [(String, String)] = [
            ("objectClass", "inetOrgPerson"), ("uid", jointure), ("sn", surname.isEmpty ? jointure : surname),
            ("cn", full.isEmpty ? jointure : full), ("employeeType", r.category.entName),
        ]
        if !first.isEmpty { attributes.append(("givenName", first)) }
        if let mail = r.mail, !mail.isEmpty { attributes.append(("mail", mail)) }
        for school in r.schools where !school.isEmpty { attributes.append(("departmentNumber", school)) }
        for guardian in r.guardians {
            attributes.append(("seeAlso", personDN(guardian, baseDN)))
        }
        return (personDN(jointure, baseDN), attributes)
    }

    /// A class's or group's `groupOfNames`; nil when it has no member (LDAP requires one).
    static func ldapGroup(_ g: ExportGroup, baseDN: String) -> (dn: String, attributes: [(String, String)])? {
        guard !g.members.isEmpty else { return nil }
        let uai = g.uai ?? g.structure
        let cn = groupName(uai: uai, kind: g.kind, code: g.code)
        var attributes: [(String, String)] = [("objectClass", "groupOfNames"), ("cn", cn), ("ou", uai)]
        if let label = g.label, !label.isEmpty { attributes.append(("description", label)) }
        for member in g.members { attributes.append(("member", personDN(member, baseDN))) }
        return (groupDN(cn, baseDN), attributes)
    }

    static func groupName(uai: String, kind: String, code: String) -> String { "\(uai) \(kind) \(code)" }
    static func groupDN(_ cn: String, _ baseDN: String) -> String { "cn=\(rdn(cn)),ou=groups,\(baseDN)" }
    static func structureDN(_ ou: String, _ baseDN: String) -> String { "ou=\(rdn(ou)),ou=structures,\(baseDN)" }

    func entry(_ dn: String, _ attributes: [(String, String)]) throws {
        var text = ExportWriter.ldifLine("dn", dn)
        for (name, value) in attributes { text += ExportWriter.ldifLine(name, value) }
        try sink.write(text + "\n")
    }

    static func personDN(_ jointure: String, _ baseDN: String) -> String { "uid=\(rdn(jointure)),ou=people,\(baseDN)" }

    /// RFC 4180: quoted when it holds a comma, a quote, CR or LF; quotes doubled. A cell a spreadsheet would take
    /// for a formula (it starts with `=`, `+`, `-`, `@`, a tab or CR) is prefixed with `'` first (OWASP's rule
    /// against CSV injection, issue 20): a surname `=HYPERLINK(…)` stays text, and the prefix says it was changed.
    static func csvField(_ raw: String) -> String {
        let value = raw.unicodeScalars.first.map { "=+-@\t\r".unicodeScalars.contains($0) } == true ? "'" + raw : raw
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else {
            return value
        }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// RFC 4514: the characters a DN's attribute value must escape. Read as bytes (every character escaped is ASCII),
    /// and a value with none returned as it is: most are (issue 24: the character-wise version counted the value's
    /// characters again at each one).
    static func rdn(_ value: String) -> String {
        let utf8 = value.utf8
        let last = utf8.count - 1
        func escaped(_ byte: UInt8, at i: Int) -> Bool {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "+"), UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "<"),
                UInt8(ascii: ">"), UInt8(ascii: ";"), UInt8(ascii: "="):
                return true
            case UInt8(ascii: "#"): return i == 0
            case UInt8(ascii: " "): return i == 0 || i == last
            default: return false
            }
        }
        guard utf8.enumerated().contains(where: { escaped($0.element, at: $0.offset) }) else { return value }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count + 4)
        for (i, byte) in utf8.enumerated() {
            if escaped(byte, at: i) { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 2849: a value that is not plain ASCII, or starts with a space, `:` or `<`, is written base64 (`name::`).
    static func ldifLine(_ name: String, _ value: String) -> String {
        let utf8 = value.utf8
        let safe =
            utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
            && utf8.first.map { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: "<") } != false
            && utf8.last != UInt8(ascii: " ")
        return safe ? "\(name): \(value)\n" : "\(name):: \(Data(value.utf8).base64EncodedString())\n"
    }
}
