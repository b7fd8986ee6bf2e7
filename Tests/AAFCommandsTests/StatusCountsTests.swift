import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

/// Issue 24: `status` reads its counts from `directory_counts` (migration 13), five rows the writers keep in their own
/// transactions, not by reading every row; they must equal a full count, by a second process, after every kind of
/// change (and an unchanged re-import must not rewrite them).
@Suite("status counts equal a full count")
struct StatusCountsTests {
    private func check(_ cli: CLI, _ step: String) throws {
        let status = try cli.json(["status", "--config", cli.config, "--json"])
        let directory = try #require(status["directory"] as? [String: Any], "\(step)")
        func full(_ sql: String) throws -> Int { Int(try SQLiteShell.run(cli.database, sql)) ?? -1 }
        let expected: [String: Int] = [
            "structures": try full("SELECT count(*) FROM structures WHERE departed_on IS NULL"),
            "students": try full("SELECT count(*) FROM persons WHERE category = 'Eleve' AND departed_on IS NULL"),
            "staff": try full("SELECT count(*) FROM persons WHERE category = 'PersEducNat' AND departed_on IS NULL"),
            "guardians": try full(
                "SELECT count(*) FROM persons WHERE category = 'PersRelEleve' AND departed_on IS NULL"
            ),
            "departed": try full("SELECT count(*) FROM persons WHERE departed_on IS NOT NULL"),
        ]
        for (key, value) in expected { #expect(directory[key] as? Int == value, "\(step): \(key)") }
    }

    @Test("after a first import, two mornings of departures, arrivals and changes, a restriction, a purge")
    func everyKindOfChange() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        try check(cli, "first import")
        #expect(try cli.importDay("20250902").status == 0)
        try check(cli, "departures and arrivals")
        #expect(try cli.importDay("20250903").status == 0)
        try check(cli, "the third morning")
        let pupil = Scenario.base.pupils[3].jointure
        #expect(
            try cli.run([
                "request", "open", "--kind", "restriction", pupil, "--received", cli.today.iso, "--by", "DPO",
                "--config", cli.config,
            ]).status == 0
        )
        try check(cli, "restriction")
        _ = try SQLiteShell.run(
            cli.database,
            "UPDATE persons SET departed_on = '2020-01-01' WHERE jointure = '\(pupil)'"
        )
        #expect(try cli.run(["purge", "--config", cli.config]).status == 0)
        try check(cli, "purge")
        // An unchanged re-import recognises the delivery and writes nothing, not even the counts.
        _ = try SQLiteShell.run(cli.database, "UPDATE directory_counts SET active = active")
        let version = try SQLiteShell.run(cli.database, "SELECT count(*) FROM directory_counts")
        #expect(try cli.importDay("20250903").status == 0)
        try check(cli, "unchanged re-import")
        #expect(try SQLiteShell.run(cli.database, "SELECT count(*) FROM directory_counts") == version)
        // A dry run and a refused delivery change nothing.
        // (the second morning's files again, dated the 4th: a delivery that would change the directory)
        let again = cli.temp.folder("again")
        let second = Paths.fixtures.appendingPathComponent("ent1d/20250902").path
        for name in try FileManager.default.contentsOfDirectory(atPath: second) {
            try FileManager.default.copyItem(
                atPath: second + "/" + name,
                toPath: again + "/" + name.replacingOccurrences(of: "20250902", with: "20250904")
            )
        }
        let dry = try cli.run(["import", "--config", cli.config, "--from-dir", again, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        try check(cli, "dry run")
        let refused = cli.temp.folder("refused")
        cli.temp.write(
            "refused/ENT1D_Complet_20250905_Eleve_0000.xml",
            "<?xml version=\"1.0\"?><ficAlimMENESR><addRequest>"
        )
        #expect(try cli.run(["import", "--config", cli.config, "--from-dir", refused]).status != 0)
        try check(cli, "refused delivery")
        // A Delta: one pupil modified, one deleted (departed), one unknown.
        let base = Scenario.base
        let delta = cli.temp.folder("delta")
        cli.temp.write(
            "delta/ENT1D_Delta_20250906_Eleve_0000.xml",
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <ficAlimMENESR>
            <modifyRequest><operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr></operationalAttributes>
            <identifier><id>\(base.pupils[8].jointure)</id></identifier><modifications>
            <modification name="ENTPersonJointure" operation="replace"><value>\(base.pupils[8].jointure)</value></modification>
            <modification name="ENTPersonNom" operation="replace"><value>MODIFIE</value></modification>
            <modification name="ENTPersonStructRattach" operation="replace"><value>\(base.pupils[8].school)</value></modification>
            </modifications></modifyRequest>
            <deleteRequest><operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr></operationalAttributes>
            <identifier><id>\(base.pupils[9].jointure)</id></identifier></deleteRequest>
            <deleteRequest><operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr></operationalAttributes>
            <identifier><id>999999999</id></identifier></deleteRequest>
            </ficAlimMENESR>
            """
        )
        let applied = try cli.run(["import", "--config", cli.config, "--from-dir", delta])
        #expect(applied.status == 0, "\(applied.stderr)")
        try check(cli, "Delta")
        // Every departed person past their date: the purge deletes them all.
        _ = try SQLiteShell.run(
            cli.database,
            "UPDATE persons SET departed_on = '2020-01-01' WHERE departed_on IS NOT NULL"
        )
        #expect(try cli.run(["purge", "--config", cli.config]).status == 0)
        try check(cli, "purge of everything")
        let plan = try SQLiteShell.run(cli.database, "EXPLAIN QUERY PLAN SELECT * FROM directory_counts")
        #expect(plan.contains("SCAN directory_counts"), "\(plan)")
    }
}
