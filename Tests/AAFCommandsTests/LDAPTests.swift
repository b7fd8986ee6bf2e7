import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

/// `aafd export --format ldif` loaded into a real OpenLDAP slapd (issue 12): what `ldapsearch` answers matches the
/// SQL views.
@Suite("LDIF export into a real slapd", .enabled(if: LDAPServer.available, "needs slapd and ldap-utils"))
struct LDAPTests {
    private func sql(_ cli: CLI, _ query: String) throws -> String {
        try SQLiteShell.run(cli.database, query, readOnly: true)
    }

    @Test("the full load: ldapadd takes it; people, schools, classes and guardian links answer as the views do")
    func fullLoad() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let ldif = cli.temp.file("directory.ldif")
        let export = try cli.run([
            "export", "--config", cli.config, "--format", "ldif", "--base-dn", LDAPServer.suffix, "--output", ldif,
        ])
        #expect(export.status == 0, "\(export.stderr)")
        var info = stat()
        #expect(stat(ldif, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let server = try LDAPServer()
        let added = try server.ldap("/usr/bin/ldapadd", ["-f", ldif])
        #expect(added.status == 0, "\(added.stderr)")

        for (category, ldap) in [("pupil", "pupil"), ("staff", "staff"), ("guardian", "guardian")] {
            let expected = try sql(cli, "SELECT count(*) FROM ent_people WHERE category = '\(category)'")
            #expect(try server.search("(employeeType=\(ldap))").filter { $0.hasPrefix("dn:") }.count == Int(expected))
        }
        #expect(
            try server.search("(objectClass=organizationalUnit)", ["businessCategory"]).filter {
                $0.hasPrefix("businessCategory:")
            }.count == Int(try sql(cli, "SELECT count(*) FROM ent_structures"))
        )
        // One pupil: names, school, class (a groupOfNames holding them), guardians in order.
        let pupil = Scenario.base.pupils[1]
        let entry = try server.search("(uid=\(pupil.jointure))", ["sn", "givenName", "departmentNumber", "seeAlso"])
        #expect(entry.contains("sn: \(pupil.surname)"))
        #expect(entry.contains("givenName: \(pupil.firstName)"))
        let uai = try sql(cli, "SELECT uai FROM ent_structures WHERE jointure = '\(pupil.school)'")
        #expect(entry.contains("departmentNumber: \(uai)"))
        #expect(
            entry.filter { $0.hasPrefix("seeAlso:") }
                == pupil.guardians.map { "seeAlso: uid=\($0),ou=people,\(LDAPServer.suffix)" }
        )
        let classes = try server.search(
            "(&(objectClass=groupOfNames)(member=uid=\(pupil.jointure),ou=people,\(LDAPServer.suffix)))",
            ["description"]
        )
        #expect(classes.contains("description: \(pupil.classLabel)"))
        let members = try server.search(
            "(&(objectClass=groupOfNames)(description=\(pupil.classLabel))(ou=\(uai)))",
            ["member"]
        )
        #expect(
            members.filter { $0.hasPrefix("member:") }.count
                == Int(
                    try sql(
                        cli,
                        "SELECT members FROM ent_classes WHERE uai = '\(uai)' AND label = '\(pupil.classLabel)'"
                    )
                )
        )
        // The journal says who exported what, never a value.
        let journal = try sql(cli, "SELECT action, detail FROM admin_journal")
        #expect(journal.contains("export|format=ldif"))
        #expect(!journal.contains(pupil.surname))
    }

    @Test("an export never overwrites a file (73), and the CSV is RFC 4180 with a header")
    func outputs() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let existing = cli.temp.write("exists.csv", "keep me")
        let refused = try cli.run(["export", "--config", cli.config, "--format", "csv", "--output", existing])
        #expect(refused.status == 73)
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "keep me")
        let csv = try cli.run(["export", "--config", cli.config, "--format", "csv", "--category", "staff"])
        #expect(csv.status == 0)
        let lines = csv.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.first?.hasPrefix("category,jointure,uai,name,surname") == true)
        #expect(lines.count == Scenario.base.staff.count + 1)
        let jsonl = try cli.run(["export", "--config", cli.config, "--category", "pupil"])
        let records = jsonl.stdout.split(separator: "\n")
        #expect(records.count == Scenario.base.pupils.count)
        for line in records {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["mail"] is NSNull, "R1: no pupil mail")
        }
    }

    @Test(
        "three mornings: the full load, then two days of LDIF change records applied with ldapmodify, agree with the views"
    )
    func changesFollow() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let full = cli.temp.file("full.ldif")
        #expect(
            try cli.run([
                "export", "--config", cli.config, "--format", "ldif", "--base-dn", LDAPServer.suffix, "--output", full,
            ])
            .status == 0
        )
        let cursor = try cli.run(["changes", "--config", cli.config, "--current"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try LDAPServer()
        #expect(try server.ldap("/usr/bin/ldapadd", ["-f", full]).status == 0)
        #expect(try cli.importDay("20250902").status == 0)
        #expect(try cli.importDay("20250903").status == 0)
        let changes = try cli.run([
            "changes", "--config", cli.config, "--since", cursor, "--format", "ldif", "--base-dn", LDAPServer.suffix,
        ])
        #expect(changes.status == 0, "\(changes.stderr)")
        let file = cli.temp.write("changes.ldif", changes.stdout)
        let applied = try server.ldap("/usr/bin/ldapmodify", ["-f", file])
        #expect(applied.status == 0, "\(applied.stderr)")

        for category in ["pupil", "staff", "guardian"] {
            let expected = try sql(cli, "SELECT count(*) FROM ent_people WHERE category = '\(category)'")
            #expect(
                try server.search("(employeeType=\(category))").filter { $0.hasPrefix("dn:") }.count == Int(expected),
                "\(category)"
            )
        }
        let groups = try sql(cli, "SELECT (SELECT count(*) FROM ent_classes) + (SELECT count(*) FROM ent_groups)")
        #expect(try server.search("(objectClass=groupOfNames)").filter { $0.hasPrefix("dn:") }.count == Int(groups))
        // Renamed, moved, gone.
        #expect(
            try server.search("(uid=\(Scenario.renamedPupil.jointure))", ["sn"]).contains("sn: \(Scenario.newSurname)")
        )
        let moved = Scenario.day(3).pupils.first { $0.jointure == Scenario.movingPupil.jointure }!
        let member = "member=uid=\(moved.jointure),ou=people,\(LDAPServer.suffix)"
        let classes = try server.search("(&(objectClass=groupOfNames)(\(member)))", ["description"])
            .filter { $0.hasPrefix("description:") }
        #expect(classes.contains("description: \(moved.classLabel)"))
        #expect(!classes.contains("description: \(Scenario.movingPupil.classLabel)"))
        #expect(
            try server.search("(uid=\(Scenario.leavingStaff.jointure))").isEmpty,
            "R8: the staff member who left is gone"
        )
        // The members of every class agree with the views.
        for row in try sql(cli, "SELECT uai || '|' || code || '|' || members FROM ent_classes").split(separator: "\n") {
            let f = row.split(separator: "|").map(String.init)
            let found = try server.search("(cn=\(f[0]) class \(f[1]))", ["member"]).filter { $0.hasPrefix("member:") }
            #expect(found.count == Int(f[2]), "\(f[0]) \(f[1])")
        }
    }
}
