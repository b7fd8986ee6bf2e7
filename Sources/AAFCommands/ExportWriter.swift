import Foundation

/// Turns export records (JSON objects from the store) into JSON Lines, CSV (RFC 4180) or LDIF, one at a time.
struct ExportWriter {
    let format: ExportCommand.Format
    let baseDN: String
    let sink: ExportSink

    /// The CSV columns: one table for every category (empty where a category has no such field).
    static let csvColumns = [
        "category", "jointure", "uai", "name", "surname", "birth_surname", "first_name", "civility", "birth_date",
        "mail",
        "schools", "classes", "groups", "guardians", "functions",
    ]

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

    func record(_ json: String) throws {
        if format == .jsonl { return try sink.write(json + "\n") }
        let r = ExportWriter.object(json)
        if format == .csv {
            let row = ExportWriter.csvColumns.map { column -> String in
                switch column {
                case "schools":
                    return ExportWriter.list(r["schools"]) { ($0["uai"] as? String) ?? ($0["jointure"] as? String) }
                case "classes", "groups": return ExportWriter.list(r[column]) { $0["code"] as? String }
                case "guardians": return (r["guardians"] as? [String] ?? []).joined(separator: "|")
                case "functions":
                    return ExportWriter.list(r["functions"]) { f in
                        [f["structure"], f["function_code"], f["position_code"]].map { ($0 as? String) ?? "-" }
                            .joined(separator: "$")
                    }
                default: return ExportWriter.text(r[column])
                }
            }
            return try sink.write(row.map(ExportWriter.csvField).joined(separator: ",") + "\r\n")
        }
        let (dn, attributes) = ExportWriter.ldapEntry(r, baseDN: baseDN)
        try entry(dn, attributes)
    }

    /// LDIF only: a class or group as a `groupOfNames` of its members.
    func group(_ json: String) throws {
        guard let (dn, attributes) = ExportWriter.ldapGroup(ExportWriter.object(json), baseDN: baseDN) else { return }
        try entry(dn, attributes)
    }

    /// An export record's LDAP entry (Docs/ent-interface.md): its DN and attributes, `objectClass` first.
    static func ldapEntry(_ r: [String: Any], baseDN: String) -> (dn: String, attributes: [(String, String)]) {
        let jointure = text(r["jointure"])
        if text(r["category"]) == "structure" {
            let uai = text(r["uai"])
            var attributes: [(String, String)] = [
                ("objectClass", "organizationalUnit"), ("ou", uai.isEmpty ? jointure : uai),
                ("businessCategory", jointure),
            ]
            for (key, name) in [("name", "description"), ("postal_code", "postalCode"), ("city", "l")] {
                let v = text(r[key])
                if !v.isEmpty { attributes.append((name, v)) }
            }
            return (structureDN(uai.isEmpty ? jointure : uai, baseDN), attributes)
        }
        let surname = text(r["surname"])
        let first = text(r["first_name"])
        let full = [first, surname].filter { !$0.isEmpty }.joined(separator: " ")
        var attributes: [(String, String)] = [
            ("objectClass", "inetOrgPerson"), ("uid", jointure), ("sn", surname.isEmpty ? jointure : surname),
            ("cn", full.isEmpty ? jointure : full), ("employeeType", text(r["category"])),
        ]
        if !first.isEmpty { attributes.append(("givenName", first)) }
        let mail = text(r["mail"])
        if !mail.isEmpty { attributes.append(("mail", mail)) }
        for school in r["schools"] as? [[String: Any]] ?? [] {
            let uai = (school["uai"] as? String) ?? (school["jointure"] as? String) ?? ""
            if !uai.isEmpty { attributes.append(("departmentNumber", uai)) }
        }
        for guardian in r["guardians"] as? [String] ?? [] {
            attributes.append(("seeAlso", personDN(guardian, baseDN)))
        }
        return (personDN(jointure, baseDN), attributes)
    }

    /// A class's or group's `groupOfNames`; nil when it has no member (LDAP requires one).
    static func ldapGroup(_ g: [String: Any], baseDN: String) -> (dn: String, attributes: [(String, String)])? {
        let members = g["members"] as? [String] ?? []
        guard !members.isEmpty else { return nil }
        let uai = (g["uai"] as? String) ?? (g["structure"] as? String) ?? ""
        let cn = groupName(uai: uai, kind: g["kind"] as? String ?? "", code: g["code"] as? String ?? "")
        var attributes: [(String, String)] = [("objectClass", "groupOfNames"), ("cn", cn), ("ou", uai)]
        let label = text(g["label"])
        if !label.isEmpty { attributes.append(("description", label)) }
        for member in members { attributes.append(("member", personDN(member, baseDN))) }
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

    static func object(_ json: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
    }

    static func text(_ value: Any?) -> String { value as? String ?? "" }

    static func list(_ value: Any?, _ field: ([String: Any]) -> String?) -> String {
        (value as? [[String: Any]] ?? []).compactMap(field).joined(separator: "|")
    }

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

    /// RFC 4514: the characters a DN's attribute value must escape.
    static func rdn(_ value: String) -> String {
        var out = ""
        for (i, c) in value.enumerated() {
            if ",+\"\\<>;=".contains(c) || (i == 0 && (c == "#" || c == " ")) || (i == value.count - 1 && c == " ") {
                out.append("\\")
            }
            out.append(c)
        }
        return out
    }

    /// RFC 2849: a value that is not plain ASCII, or starts with a space, `:` or `<`, is written base64 (`name::`).
    static func ldifLine(_ name: String, _ value: String) -> String {
        let safe =
            value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
            && !value.hasPrefix(" ") && !value.hasPrefix(":") && !value.hasPrefix("<") && !value.hasSuffix(" ")
        return safe ? "\(name): \(value)\n" : "\(name):: \(Data(value.utf8).base64EncodedString())\n"
    }
}
