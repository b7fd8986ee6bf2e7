import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

/// Issue 24: `status` reads its counts from an index (migration 12), not by reading every row; they must equal a
/// full count, by a second process, after every kind of change.
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
        let plan = try SQLiteShell.run(
            cli.database,
            "EXPLAIN QUERY PLAN SELECT category, count(*), count(departed_on) FROM persons GROUP BY category"
        )
        #expect(plan.contains("COVERING INDEX persons_state"), "\(plan)")
    }
}
