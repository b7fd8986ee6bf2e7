import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

@Suite("Consent, purge and certificate commands")
struct RetentionCommandTests {
    @Test(
        "R2: no address without consent; grant → next import stores it; revoke → erased at once; all journaled; shown (R14)"
    )
    func consentRoundTrip() throws {
        let cli = CLI()
        let staff = Scenario.base.staff[1]
        #expect(try cli.importDay("20250901").status == 0)
        let database = cli.database
        func stored() -> Bool {
            fileContains(database, staff.homeStreet) || fileContains(database + "-wal", staff.homeStreet)
        }
        #expect(!stored())

        let grant = try cli.run([
            "consent", "grant", staff.jointure, "--field", "home-address", "--by", "Mme Admin", "--config", cli.config,
        ])
        #expect(grant.status == 0, "\(grant.stderr)")
        #expect(try cli.importDay("20250901").status == 0)
        #expect(stored())
        let person = try cli.json(["person", "show", staff.jointure, "--config", cli.config, "--json"])
        let attributes = try #require(person["attributes"] as? [String: Any])
        #expect((attributes["ENTPersonAdresse"] as? String)?.contains(staff.homeStreet) == true)
        let consents = try #require(person["consents"] as? [[String: Any]])
        #expect(consents.first?["recorded_by"] as? String == "Mme Admin")
        #expect(consents.first?["field"] as? String == "home-address")
        // Another staff member's address is still not stored.
        #expect(!fileContains(database, Scenario.base.staff[2].homeStreet))

        let revoke = try cli.run([
            "consent", "revoke", staff.jointure, "--field", "home-address", "--by", "Mme Admin", "--config", cli.config,
        ])
        #expect(revoke.status == 0, "\(revoke.stderr)")
        #expect(!stored())
        let list = try cli.run(["consent", "list", "--config", cli.config])
        #expect(list.stdout.contains("no consent recorded"))
        let journal = try SQLiteShell.run(
            database,
            "SELECT action || ' ' || recorded_by FROM admin_journal WHERE action LIKE 'consent%' ORDER BY id"
        )
        #expect(journal == "consent-grant Mme Admin\nconsent-revoke Mme Admin")
    }

    @Test("consent for a jointure that is no staff member: exit 66; --by is required")
    func consentErrors() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let unknown = try cli.run(["consent", "grant", "0000000", "--by", "X", "--config", cli.config])
        #expect(unknown.status == 66)
        let pupil = try cli.run([
            "consent", "grant", Scenario.base.pupils[0].jointure, "--by", "X", "--config", cli.config,
        ])
        #expect(pupil.status == 66)
        let noBy = try cli.run(["consent", "grant", Scenario.base.staff[0].jointure, "--config", cli.config])
        #expect(noBy.status == 64)
    }

    @Test("purge --as-of --dry-run --json reports counts and deletes nothing; purge then certificate")
    func purgeAndCertificate() throws {
        let cli = CLI(extra: "[convention]\ncommune = \"Mairie de Testville\"\n")
        #expect(try cli.importDay("20250901").status == 0)
        #expect(try cli.importDay("20250902").status == 0)
        // The purge after each import ran as of today: the 2025 departures (due 2026-01-01) are gone already.
        let status = try cli.json(["status", "--config", cli.config, "--json"])
        #expect((status["directory"] as? [String: Any])?["departed"] as? Int == 0)

        // R9 preview: two years after the last delivery, everyone would go.
        let preview = try cli.json(["purge", "--as-of", "2027-09-02", "--dry-run", "--json", "--config", cli.config])
        let counts = try #require(preview["counts"] as? [String: [String: Int]])
        #expect(counts["R9"]?["students"] == 61)
        let after = try cli.json(["status", "--config", cli.config, "--json"])
        #expect((after["directory"] as? [String: Any])?["students"] as? Int == 61)

        let certificate = try cli.run(["certificate", "--config", cli.config])
        #expect(certificate.status == 0, "\(certificate.stderr)")
        #expect(certificate.stdout.contains("Mairie de Testville"))
        #expect(certificate.stdout.contains("Académie de Créteil"))
        #expect(certificate.stdout.contains("R6"))
        #expect(certificate.stdout.contains("R8"))
        #expect(certificate.stdout.contains("Chaîne des enregistrements de suppression : vérifiée"))
        for p in Scenario.base.pupils.prefix(10) { #expect(!certificate.stdout.contains(p.surname)) }

        // Tampering is reported with a non-zero exit.
        try SQLiteShell.run(cli.database, "UPDATE purge_records SET counts = '{}' WHERE id = 1")
        let broken = try cli.run(["certificate", "--config", cli.config])
        #expect(broken.status == 65)
        #expect(broken.stdout.contains("NON VÉRIFIÉE"))
    }

    @Test("retention settings may be shortened, never lengthened beyond the convention (78)")
    func retentionLimits() throws {
        for (key, value) in [
            ("record_max_age_years", 3), ("journal_previous_years", 2), ("refused_delivery_working_days", 6),
        ] {
            let cli = CLI(extra: "[retention]\n\(key) = \(value)\n")
            let result = try cli.run(["status", "--config", cli.config])
            #expect(result.status == 78)
            #expect(result.stderr.contains("convention"))
        }
        let shorter = CLI(extra: "[retention]\nrecord_max_age_years = 1\npupil_days_after_departure = 30\n")
        #expect(try shorter.run(["status", "--config", shorter.config]).status == 0)
    }
}

@Suite("Consents follow the person (R2, R8, R9, R11)")
struct ConsentLifecycleTests {
    @Test(
        "a staff member with a consent leaves (R8): the consent goes, the journal forgets the jointure; on return, no address without a new consent"
    )
    func consentLeavesWithThePerson() throws {
        let cli = CLI()
        let staff = Scenario.leavingStaff
        #expect(try cli.importDay("20250901").status == 0)
        #expect(
            try cli.run([
                "consent", "grant", staff.jointure, "--field", "home-address", "--by", "DPO", "--config", cli.config,
            ]).status == 0
        )
        #expect(try cli.importDay("20250901").status == 0)
        #expect(fileContains(cli.database, staff.homeStreet) || fileContains(cli.database + "-wal", staff.homeStreet))
        // Day 2: the staff member is gone (deleted by the import, R8), and so is the consent.
        #expect(try cli.importDay("20250902").status == 0)
        let list = try cli.run(["consent", "list", "--config", cli.config])
        #expect(!list.stdout.contains(staff.jointure), "\(list.stdout)")
        #expect(
            try SQLiteShell.run(cli.database, "SELECT count(*) FROM admin_journal WHERE jointure = '\(staff.jointure)'")
                == "0"
        )
        let kept = try SQLiteShell.run(
            cli.database,
            "SELECT count(*) FROM admin_journal WHERE action = 'consent-grant'"
        )
        #expect(
            kept == "1",
            "the action itself stays journaled (R11)"
        )
        // The same jointure comes back (day 1's file again, newer date): no consent, so no address.
        let again = cli.temp.folder("return")
        let source = Paths.fixtures.appendingPathComponent("ent1d/20250901").path
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.copyItem(
                atPath: source + "/" + name,
                toPath: again + "/" + name.replacingOccurrences(of: "20250901", with: "20250910")
            )
        }
        let back = try cli.run(["import", "--config", cli.config, "--from-dir", again, "--accept-departures"])
        #expect(back.status == 0, "\(back.stderr)")
        #expect(!fileContains(cli.database, staff.homeStreet) && !fileContains(cli.database + "-wal", staff.homeStreet))
    }
}

@Suite("Right of access is complete (R14)")
struct AccessCompletenessTests {
    /// Rows of every table referring to `jointure`, found by the sqlite3 shell (not aafd): any column whose text
    /// equals the jointure, or any `*_id` column equal to the person's row id.
    func rowsBySQLite(_ database: String, _ jointure: String) throws -> [String: Int] {
        func sql(_ q: String) throws -> [String] { try SQLiteShell.lines(database, q) }
        let ids = try sql("SELECT id FROM persons WHERE jointure = '\(jointure)'")
        var counts: [String: Int] = [:]
        for table in try sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") {
            let columns = try sql("SELECT name FROM pragma_table_info('\(table)')")
            var conditions = columns.map { "CAST(\"\($0)\" AS TEXT) = '\(jointure)'" }
            if !ids.isEmpty {
                conditions += columns.filter { $0.hasSuffix("_id") || (table == "persons" && $0 == "id") }.map {
                    "\"\($0)\" IN (\(ids.joined(separator: ",")))"
                }
            }
            let n =
                Int(
                    try sql("SELECT count(*) FROM \"\(table)\" WHERE " + conditions.joined(separator: " OR ")).first
                        ?? "0"
                ) ?? 0
            if n > 0 { counts[table] = n }
        }
        return counts
    }

    @Test(
        "person show --json holds every row of every table about a pupil, a guardian and a staff member with a consent"
    )
    func everyTable() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let staff = Scenario.base.staff[1]
        #expect(
            try cli.run([
                "consent", "grant", staff.jointure, "--field", "home-address", "--by", "DPO", "--config", cli.config,
            ]).status == 0
        )
        #expect(try cli.importDay("20250902").status == 0)
        let pupil = Scenario.base.pupils[3]
        for jointure in [pupil.jointure, pupil.guardians[0], staff.jointure] {
            // What is stored when the question is asked: the read's own journal row comes after the answer.
            let expected = try rowsBySQLite(cli.database, jointure)
            let shown = try cli.json(["person", "show", jointure, "--config", cli.config, "--json"])
            let stored = try #require(shown["stored_rows"] as? [String: [Any]])
            #expect(!expected.isEmpty)
            #expect(
                stored.mapValues(\.count) == expected,
                "\(jointure): aafd shows \(stored.mapValues(\.count)), the database holds \(expected)"
            )
        }
        // The staff member's consent and its journal rows are among them.
        let staffShown = try cli.json(["person", "show", staff.jointure, "--config", cli.config, "--json"])
        let rows = try #require(staffShown["stored_rows"] as? [String: [Any]])
        #expect(rows["consents"]?.count == 1)
        // The consent's grant, and the read just above (issue 14: who looked is journaled, by jointure).
        #expect(rows["admin_journal"]?.count == 2)
    }
}
