import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

/// The ENT's read interface (issue 12): every view read with the sqlite3 shell, no aafd code loaded, checked
/// against the fixture the directory was imported from.
@Suite("The ENT's SQL views, read by the sqlite3 shell")
struct EntInterfaceTests {
    private func sql(_ cli: CLI, _ query: String) throws -> [[String]] {
        try SQLiteShell.rows(cli.database, query)
    }

    private func one(_ cli: CLI, _ query: String) throws -> String {
        try sql(cli, query).first?.first ?? ""
    }

    /// 2025-09-01 DD/MM/YYYY → 2025-09-01.
    private func iso(_ aaf: String) -> String {
        let f = aaf.split(separator: "/")
        return "\(f[2])-\(f[1])-\(f[0])"
    }

    @Test("every view against the fixture: people, schools, classes, groups, guardians in order, staff functions")
    func everyView() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let base = Scenario.base
        #expect(try one(cli, "SELECT version FROM ent_interface") == "1")
        #expect(try one(cli, "SELECT count(*) FROM ent_structures") == "\(base.schools.count)")
        #expect(try one(cli, "SELECT count(*) FROM ent_people WHERE category = 'pupil'") == "\(base.pupils.count)")
        #expect(try one(cli, "SELECT count(*) FROM ent_people WHERE category = 'staff'") == "\(base.staff.count)")
        #expect(
            try one(cli, "SELECT count(*) FROM ent_people WHERE category = 'guardian'")
                == "\(Set(base.pupils.flatMap(\.guardians)).count)"
        )
        for school in base.schools {
            #expect(
                try sql(cli, "SELECT uai, name FROM ent_structures WHERE jointure = '\(school.jointure)'") == [
                    [school.uai, school.name]
                ]
            )
        }
        for pupil in base.pupils.prefix(10) {
            let row = try sql(
                cli,
                "SELECT birth_surname, first_name, civility, birth_date, mail IS NULL, surname FROM ent_people WHERE jointure = '\(pupil.jointure)'"
            )
            // Every 50th pupil's usual name carries an HTML entity the fixture adds (aaf-format.md §4), decoded.
            let surname = (Int(pupil.jointure) ?? 1) % 50 == 0 ? pupil.surname + "-Hélène" : pupil.surname
            #expect(
                row == [[pupil.surname, pupil.firstName, pupil.title, iso(pupil.birthDate), "1", surname]],
                "R1: no pupil mail"
            )
            #expect(
                try sql(
                    cli,
                    "SELECT class_code, class_label FROM ent_class_members WHERE jointure = '\(pupil.jointure)'"
                )
                    == [[pupil.classCode, pupil.classLabel]]
            )
            #expect(
                try sql(
                    cli,
                    "SELECT guardian_jointure FROM ent_guardianships WHERE pupil_jointure = '\(pupil.jointure)' ORDER BY rank"
                )
                .map(\.[0]) == pupil.guardians,
                "in the order of ENTEleveAutoriteParentale"
            )
            #expect(
                try sql(
                    cli,
                    "SELECT structure_jointure FROM ent_people_structures WHERE jointure = '\(pupil.jointure)'"
                )
                    == [[pupil.school]]
            )
        }
        // Classes: each school's, with its members counted.
        var expected: [String: Int] = [:]
        for p in base.pupils { expected["\(p.school)|\(p.classCode)|\(p.classLabel)", default: 0] += 1 }
        let classes = try sql(cli, "SELECT structure_jointure, code, label, members FROM ent_classes")
        #expect(
            Dictionary(uniqueKeysWithValues: classes.map { ("\($0[0])|\($0[1])|\($0[2])", Int($0[3]) ?? -1) })
                == expected
        )
        #expect(try one(cli, "SELECT count(*) FROM ent_classes WHERE uai IS NULL") == "0")
        // Staff: directors direct their school; every function names a school.
        for staff in base.staff {
            #expect(
                try sql(cli, "SELECT structure_jointure FROM ent_staff_functions WHERE jointure = '\(staff.jointure)'")
                    == [[staff.school]]
            )
            #expect(
                try one(cli, "SELECT count(*) FROM ent_directorships WHERE jointure = '\(staff.jointure)'")
                    == (staff.director ? "1" : "0")
            )
            #expect(try one(cli, "SELECT mail FROM ent_people WHERE jointure = '\(staff.jointure)'") == staff.mail)
        }
        // The attributes are JSON any client reads; never a consent, a journal or a deletion record.
        #expect(try one(cli, "SELECT count(*) FROM ent_person_attributes WHERE NOT json_valid(attributes)") == "0")
        #expect(try one(cli, "SELECT count(*) FROM ent_structure_attributes WHERE NOT json_valid(attributes)") == "0")
        let views = try sql(cli, "SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name").map(\.[0])
        #expect(views.count == 15)
        for view in views {
            let columns = try sql(cli, "SELECT name FROM pragma_table_info('\(view)')").map(\.[0])
            #expect(!columns.contains { ["granted_at", "recorded_by", "reason", "hash", "prev_hash"].contains($0) })
        }
    }

    @Test("only active people: a departed pupil leaves the views, a renamed one is renamed, a moved one moves")
    func activeOnly() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        #expect(try cli.importDay("20250902").status == 0)
        let leaving = Scenario.leavingPupil
        #expect(try one(cli, "SELECT count(*) FROM ent_people WHERE jointure = '\(leaving.jointure)'") == "0")
        #expect(try one(cli, "SELECT count(*) FROM ent_class_members WHERE jointure = '\(leaving.jointure)'") == "0")
        #expect(
            try one(cli, "SELECT count(*) FROM ent_guardianships WHERE pupil_jointure = '\(leaving.jointure)'") == "0"
        )
        #expect(
            try one(cli, "SELECT surname FROM ent_people WHERE jointure = '\(Scenario.renamedPupil.jointure)'")
                == Scenario.newSurname
        )
        let moved = Scenario.day(2).pupils.first { $0.jointure == Scenario.movingPupil.jointure }!
        #expect(
            try sql(cli, "SELECT class_code FROM ent_class_members WHERE jointure = '\(moved.jointure)'") == [
                [moved.classCode]
            ]
        )
        #expect(
            try one(cli, "SELECT count(*) FROM ent_people WHERE jointure = '\(Scenario.leavingStaff.jointure)'") == "0"
        )
    }

    @Test("values with quotes, backslashes and tabs come out of the JSON exactly as the file said")
    func escaping() throws {
        let cli = CLI()
        let folder = try cli.copyOfDay("20250901")
        let pupil = Scenario.base.pupils[1]
        let file = try #require(
            try FileManager.default.contentsOfDirectory(atPath: folder).first { $0.contains("_Eleve_0000") }
        )
        let path = folder + "/" + file
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let odd = #"O"B\RI&#9;EN"#
        let edited = text.replacingOccurrences(
            of: "<attr name=\"ENTPersonNom\"><value>\(pupil.surname)</value></attr>",
            with:
                "<attr name=\"ENTPersonNom\"><value>\(odd.replacingOccurrences(of: "\"", with: "&quot;"))</value></attr>"
        )
        #expect(edited != text)
        try edited.write(toFile: path, atomically: false, encoding: .utf8)
        let result = try cli.run(["import", "--config", cli.config, "--from-dir", folder])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try one(cli, "SELECT count(*) FROM ent_person_attributes WHERE NOT json_valid(attributes)") == "0")
        let hex = try one(cli, "SELECT hex(surname) FROM ent_people WHERE jointure = '\(pupil.jointure)'")
        #expect(hex == Array("O\"B\\RI\tEN".utf8).map { String(format: "%02X", $0) }.joined())
    }
}
