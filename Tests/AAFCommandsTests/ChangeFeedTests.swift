import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

/// `aafd changes` (issue 12): what each morning changed, in order, by cursor; names and jointures, never values.
@Suite("The change feed")
struct ChangeFeedTests {
    private func changes(_ cli: CLI, since: Int) throws -> [[String: Any]] {
        let result = try cli.run(["changes", "--config", cli.config, "--since", String(since)])
        #expect(result.status == 0, "\(result.stderr)")
        return try result.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }

    private func current(_ cli: CLI) throws -> Int {
        Int(
            try cli.run(["changes", "--config", cli.config, "--current"]).stdout.trimmingCharacters(
                in: .whitespacesAndNewlines
            )
        ) ?? -1
    }

    @Test(
        "day 2 after day 1: arrivals created, a rename and a class change updated (names only), leavers departed or deleted"
    )
    func secondMorning() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let first = try changes(cli, since: 0)
        #expect(first.filter { $0["change"] as? String == "created" }.count == first.count)
        let people = first.filter { $0["kind"] as? String != "group" }
        #expect(
            people.count == 3 + Scenario.base.pupils.count + Scenario.base.staff.count
                + Set(Scenario.base.pupils.flatMap(\.guardians)).count
        )
        let classes = Set(Scenario.base.pupils.map { "\($0.school)$\($0.classCode)" })
        #expect(
            Set(first.filter { $0["category"] as? String == "class" }.compactMap { $0["jointure"] as? String })
                == classes
        )
        let cursor = try current(cli)
        #expect(cursor == first.last?["cursor"] as? Int)
        // A dry run records nothing.
        #expect(try cli.importDay("20250902", ["--dry-run"]).status == 0)
        #expect(try current(cli) == cursor)

        #expect(try cli.importDay("20250902").status == 0)
        let second = try changes(cli, since: cursor)
        func find(_ jointure: String, _ change: String) -> [String: Any]? {
            second.first { $0["jointure"] as? String == jointure && $0["change"] as? String == change }
        }
        let renamed = try #require(find(Scenario.renamedPupil.jointure, "updated"))
        #expect(renamed["attributes"] as? [String] == ["ENTPersonNom", "ENTPersonNomPatro"])
        #expect(renamed["extract_date"] as? String == "2025-09-02")
        #expect((find(Scenario.movingPupil.jointure, "updated")?["attributes"] as? [String]) == ["ENTPersonClasses"])
        for arrival in Scenario.arrivals { #expect(find(arrival, "created") != nil) }
        #expect(find(Scenario.leavingPupil.jointure, "departed") != nil)
        #expect(find(Scenario.leavingStaff.jointure, "deleted") != nil, "R8: staff are deleted, not departed")
        let cursors = second.compactMap { $0["cursor"] as? Int }
        #expect(cursors == cursors.sorted() && cursors.first.map { $0 > cursor } == true)
        // R15: no value, not even the names that changed.
        let text = try cli.run(["changes", "--config", cli.config, "--since", "0"]).stdout
        #expect(!text.contains(Scenario.oldSurname) && !text.contains(Scenario.newSurname))
        #expect(!text.contains(Scenario.base.pupils[1].firstName))
    }

    @Test(
        "a cursor whose changes were purged (R11) or that is ahead of the database gets 66 and 'resync from the views'"
    )
    func resync() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let ahead = try cli.run(["changes", "--config", cli.config, "--since", "999999"])
        #expect(ahead.status == 66)
        #expect(ahead.stderr.contains("resync from the views"))
        // Age the first morning's changes past the journal's retention, then purge (R11).
        try SQLiteShell.run(cli.database, "UPDATE changes SET recorded_at = '2020-01-01T00:00:00Z' WHERE seq <= 10")
        #expect(try cli.run(["purge", "--config", cli.config]).status == 0)
        let gone = try cli.run(["changes", "--config", cli.config, "--since", "0"])
        #expect(gone.status == 66)
        #expect(gone.stderr.contains("no longer all kept"))
        #expect(try changes(cli, since: 10).first?["cursor"] as? Int == 11)
    }
}
