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
        let category = r["category"] as? String ?? ""
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
        // LDIF.
        let jointure = ExportWriter.text(r["jointure"])
        if category == "structure" {
            let uai = ExportWriter.text(r["uai"])
            var attributes: [(String, String)] = [
                ("objectClass", "organizationalUnit"), ("ou", uai.isEmpty ? jointure : uai),
                ("businessCategory", jointure),
            ]
            for (key, name) in [("name", "description"), ("postal_code", "postalCode"), ("city", "l")] {
                let v = ExportWriter.text(r[key])
                if !v.isEmpty { attributes.append((name, v)) }
            }
            return try entry("ou=\(ExportWriter.rdn(uai.isEmpty ? jointure : uai)),ou=structures,\(baseDN)", attributes)
        }
        let surname = ExportWriter.text(r["surname"])
        let first = ExportWriter.text(r["first_name"])
        var attributes: [(String, String)] = [
            ("objectClass", "inetOrgPerson"), ("uid", jointure), ("sn", surname.isEmpty ? jointure : surname),
            (
                "cn",
                [first, surname].filter { !$0.isEmpty }.joined(separator: " ").isEmpty
                    ? jointure : [first, surname].filter { !$0.isEmpty }.joined(separator: " ")
            ),
            ("employeeType", category),
        ]
        if !first.isEmpty { attributes.append(("givenName", first)) }
        let mail = ExportWriter.text(r["mail"])
        if !mail.isEmpty { attributes.append(("mail", mail)) }
        for school in r["schools"] as? [[String: Any]] ?? [] {
            let uai = (school["uai"] as? String) ?? (school["jointure"] as? String) ?? ""
            if !uai.isEmpty { attributes.append(("departmentNumber", uai)) }
        }
        for guardian in r["guardians"] as? [String] ?? [] {
            attributes.append(("seeAlso", ExportWriter.personDN(guardian, baseDN)))
        }
        try entry(ExportWriter.personDN(jointure, baseDN), attributes)
    }

    /// LDIF only: a class or group as a `groupOfNames` of its members.
    func group(_ json: String) throws {
        let g = ExportWriter.object(json)
        let members = g["members"] as? [String] ?? []
        guard !members.isEmpty else { return }
        let uai = (g["uai"] as? String) ?? (g["structure"] as? String) ?? ""
        let cn = "\(uai) \(g["kind"] as? String ?? "") \(g["code"] as? String ?? "")"
        var attributes: [(String, String)] = [("objectClass", "groupOfNames"), ("cn", cn), ("ou", uai)]
        let label = ExportWriter.text(g["label"])
        if !label.isEmpty { attributes.append(("description", label)) }
        for member in members { attributes.append(("member", ExportWriter.personDN(member, baseDN))) }
        try entry("cn=\(ExportWriter.rdn(cn)),ou=groups,\(baseDN)", attributes)
    }

    private func entry(_ dn: String, _ attributes: [(String, String)]) throws {
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

    /// RFC 4180: quoted when it holds a comma, a quote, CR or LF; quotes doubled.
    static func csvField(_ value: String) -> String {
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
