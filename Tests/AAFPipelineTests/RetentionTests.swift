import AAFFixtures
import AAFModel
import AAFPipeline
import AAFPolicy
import AAFStore
import AAFTestSupport
import AAFTransfer
import Foundation
import Logging
import Synchronization
import Testing

/// An injected wall clock: tests move it to the simulated day.
final class SimulatedClock: Sendable {
    private let current = Mutex<Date>(Date(timeIntervalSince1970: 0))

    func set(_ day: ExtractDate) {
        current.withLock { $0 = Date(timeIntervalSince1970: Double(day.dayNumber) * 86_400 + 36_000) }
    }

    var now: Date { current.withLock { $0 } }
}

extension Harness {
    /// Purges as of `day` with the default (convention) policy.
    @discardableResult
    func purge(
        _ day: String,
        policy: RetentionPolicy = RetentionPolicy(),
        spool: Spool? = nil,
        dryRun: Bool = false
    ) throws -> PurgeResult {
        try Purger(store: try store, spool: spool, policy: policy, logger: RecordingLogHandler.logger(lines))
            .run(asOf: .d(day), executedAt: day + "T10:00:00Z", dryRun: dryRun)
    }
}

/// Only children (their guardians have no other child), for departures whose guardians follow (R7).
func onlyChildren(_ d: SyntheticDirectory) -> [SyntheticDirectory.Pupil] {
    d.pupils.filter { p in p.guardians.allSatisfy { g in d.pupils.filter { $0.guardians.contains(g) }.count == 1 } }
}

@Suite("Retention over three simulated years (R6–R13)", .serialized)
struct RetentionTests {
    let base: SyntheticDirectory
    let julyLeaver: SyntheticDirectory.Pupil
    let januaryLeaver: SyntheticDirectory.Pupil
    let returner: SyntheticDirectory.Pupil
    let staffLeaver: SyntheticDirectory.Staff

    init() {
        var d = SyntheticDirectory.generate(schools: 2, pupils: 40, seed: 11)
        let singles = onlyChildren(d)
        let july = singles[0].jointure
        // A name found nowhere else, to prove it is gone from the database files (R12).
        let i = d.pupils.firstIndex { $0.jointure == july }!
        d.pupils[i].surname = "SENTINELPURGE"
        for g in d.pupils[i].guardians {
            let k = d.guardians.firstIndex { $0.jointure == g }!
            d.guardians[k].surname = "SENTINELPURGE"
        }
        base = d
        julyLeaver = d.pupils[i]
        januaryLeaver = singles[1]
        returner = singles[2]
        staffLeaver = d.staff.last!
    }

    func without(_ jointures: Set<String>, staff: Bool) -> SyntheticDirectory {
        var d = base
        d.pupils.removeAll { jointures.contains($0.jointure) }
        if staff { d.staff.removeAll { $0.jointure == staffLeaver.jointure } }
        return d
    }

    /// A harness whose journal timestamps come from a simulated clock.
    func clockedHarness() -> (Harness, SimulatedClock) {
        let h = Harness()
        let clock = SimulatedClock()
        h.settings.now = { clock.now }
        return (h, clock)
    }

    /// Imports `directory` as the delivery of `day`, with the clock on that day.
    func deliver(_ h: Harness, _ clock: SimulatedClock, _ day: String, _ directory: SyntheticDirectory) throws {
        clock.set(.d(day))
        try h.importDelivery(h.write(directory, date: .d(day), partSize: 1000))
    }

    @Test("arrivals, departures in July and January, a staff departure, a return, then deliveries stop (R9)")
    func threeYears() throws {
        let (h, clock) = clockedHarness()
        // Year 1.
        try deliver(h, clock, "2025-09-01", base)
        // July: one pupil leaves for good, one leaves and comes back, a staff member leaves.
        try deliver(h, clock, "2026-07-03", without([julyLeaver.jointure, returner.jointure], staff: true))
        #expect(try h.person(staffLeaver.jointure) == nil, "R8: staff deleted by the import that no longer lists them")
        #expect(try h.person(julyLeaver.jointure)?.purgeDue == .d("2027-01-01"))
        try deliver(h, clock, "2026-09-01", without([julyLeaver.jointure], staff: true))
        #expect(try h.person(returner.jointure)?.departedOn == nil, "R6: back before the purge, active again")
        #expect(h.databaseFilesContain("SENTINELPURGE"))

        // R6 / R7 boundary: kept on 31 December, gone on 1 January.
        try h.purge("2026-12-31")
        #expect(try h.person(julyLeaver.jointure) != nil)
        for g in julyLeaver.guardians { #expect(try h.person(g) != nil) }
        let purged = try h.purge("2027-01-01")
        #expect(try h.person(julyLeaver.jointure) == nil)
        for g in julyLeaver.guardians { #expect(try h.person(g) == nil, "R7: the guardians go with their only child") }
        #expect(purged.counts["R6"]?["students"] == 1)
        #expect(purged.counts["R7"]?["guardians"] == julyLeaver.guardians.count)
        #expect(try h.person(returner.jointure) != nil)
        // R12: nothing purged can be read back from the .sqlite3 or the -wal.
        #expect(!h.databaseFilesContain("SENTINELPURGE"))

        // R13: every rule that deleted something left a record, chained and verified.
        let records = try h.store.purgeRecords(from: nil, to: nil)
        #expect(Set(records.map(\.rule)).isSuperset(of: ["R6", "R7", "R8"]))
        #expect(records.first { $0.rule == "R8" }?.purgedOn == .d("2026-07-03"))
        #expect(try h.store.verifyPurgeChain().ok)

        // January: another pupil leaves; purged on 1 January of the next year, not before.
        try deliver(h, clock, "2027-01-08", without([julyLeaver.jointure, januaryLeaver.jointure], staff: true))
        try h.purge("2027-12-31")
        #expect(try h.person(januaryLeaver.jointure) != nil)
        try h.purge("2028-01-01")
        #expect(try h.person(januaryLeaver.jointure) == nil)

        // Deliveries stop. R9: two years after the last one received, nobody is left.
        let before = try h.store.counts()
        #expect(before[.pupil] > 0)
        try h.purge("2029-01-07")
        #expect(try h.store.counts()[.pupil] == before[.pupil])
        let capped = try h.purge("2029-01-08")
        let after = try h.store.counts()
        #expect(after[.pupil] == 0 && after[.staff] == 0 && after[.guardian] == 0 && after.departed == 0)
        #expect(capped.counts["R9"]?["students"] == before[.pupil])

        // R11 pruned the records older than last year; the chain still verifies from its new anchor.
        let remaining = try h.store.purgeRecords(from: nil, to: nil)
        #expect(remaining.contains { $0.rule == "R9" })
        #expect(!remaining.contains { $0.rule == "R8" })
        #expect(try h.store.verifyPurgeChain().ok)
    }

    @Test("R9 over more people than one deletion batch: every one goes, with their links, each counted once")
    func moreThanOneBatch() throws {
        let (h, clock) = clockedHarness()
        let d = SyntheticDirectory.generate(schools: 6, pupils: DirectoryStore.purgeBatch + 700, seed: 3)
        try deliver(h, clock, "2025-09-01", d)
        let before = try h.store.counts()
        #expect(before[.pupil] == d.pupils.count && before[.guardian] > DirectoryStore.purgeBatch)
        let preview = try h.purge("2027-09-02", dryRun: true)
        #expect(try h.store.counts()[.pupil] == d.pupils.count)
        // Two years after the only delivery (R9): everyone, in batches, in one transaction.
        let capped = try h.purge("2027-09-02")
        #expect(preview.counts == capped.counts)
        #expect(capped.counts["R9"]?["students"] == d.pupils.count)
        #expect(capped.counts["R9"]?["guardians"] == before[.guardian])
        #expect(capped.counts["R9"]?["staff"] == before[.staff])
        #expect(try h.sqlite3("SELECT count(*) FROM persons") == "0")
        #expect(try h.sqlite3("SELECT count(*) FROM attachments") == "0")
        #expect(try h.sqlite3("SELECT count(*) FROM guardianships") == "0")
    }

    @Test("R11: the journal keeps the current and the previous calendar year")
    func journal() throws {
        let (h, clock) = clockedHarness()
        try deliver(h, clock, "2025-09-01", base)
        try deliver(h, clock, "2026-03-02", base)
        try h.purge("2026-12-31")
        #expect(try h.journal().count == 2)
        let result = try h.purge("2027-01-01")
        #expect(try h.journal().count == 1, "the 2025 run is gone, the 2026 one stays")
        #expect(result.counts["R11"]?["journal"] == 1)
    }

    @Test("a shorter delay set by the DPO: purged N days after departure, never later than the year's end")
    func shorterDelay() throws {
        let (h, clock) = clockedHarness()
        try deliver(h, clock, "2025-09-01", base)
        try deliver(h, clock, "2026-03-02", without([julyLeaver.jointure], staff: false))
        let policy = RetentionPolicy(pupilDaysAfterDeparture: 30)
        try h.purge("2026-03-31", policy: policy)
        #expect(try h.person(julyLeaver.jointure) != nil)
        try h.purge("2026-04-01", policy: policy)
        #expect(try h.person(julyLeaver.jointure) == nil)
    }

    @Test("--dry-run counts per rule and deletes nothing")
    func dryRun() throws {
        let (h, clock) = clockedHarness()
        try deliver(h, clock, "2025-09-01", base)
        try deliver(h, clock, "2026-07-03", without([julyLeaver.jointure], staff: false))
        let before = try h.dump()
        let preview = try h.purge("2027-01-01", dryRun: true)
        #expect(preview.counts["R6"]?["students"] == 1)
        #expect(try h.dump() == before)
        #expect(try h.store.purgeRecords(from: nil, to: nil).isEmpty)
    }

    @Test(
        "the dry run counts exactly what the purge then deletes, rule by rule (same code, rolled back)",
        arguments: ["2027-01-01", "2028-07-04", "2029-01-01"]
    )
    func dryRunEqualsPurge(asOf: String) throws {
        let (h, clock) = clockedHarness()
        try deliver(h, clock, "2025-09-01", base)
        try deliver(h, clock, "2026-07-03", without([julyLeaver.jointure], staff: true))
        try deliver(h, clock, "2027-01-04", without([julyLeaver.jointure, januaryLeaver.jointure], staff: true))
        let before = try h.dump()
        let preview = try h.purge(asOf, dryRun: true)
        #expect(try h.dump() == before)
        let real = try h.purge(asOf)
        #expect(preview.counts == real.counts, "dry run \(preview.counts) ≠ purge \(real.counts)")
        #expect(real.total > 0)
    }

    @Test(
        "R13: a certificate covers deletions by the day they ran; an earlier certificate's head detects removed newest records"
    )
    func executedDatesAndHead() throws {
        let (h, clock) = clockedHarness()
        try deliver(h, clock, "2025-09-01", base)
        try deliver(h, clock, "2026-07-03", without([julyLeaver.jointure], staff: false))
        // Rules applied as of 2027-01-01, executed on 2026-11-30: the deletion belongs to 2026.
        let result = try Purger(
            store: try h.store,
            spool: nil,
            policy: RetentionPolicy(),
            logger: RecordingLogHandler.logger(h.lines)
        )
        .run(asOf: .d("2027-01-01"), executedAt: "2026-11-30T10:00:00Z", dryRun: false)
        #expect(result.total > 0)
        let in2026 = try h.store.purgeRecords(from: .d("2026-01-01"), to: .d("2026-12-31"))
        #expect(in2026.contains { $0.purgedOn == .d("2027-01-01") && $0.rule == "R6" })
        #expect(try h.store.purgeRecords(from: .d("2027-01-01"), to: .d("2027-12-31")).isEmpty)

        let printedHead = try h.store.verifyPurgeChain().head
        // Remove the newest record and rewrite the chain's head and count to match: invisible from inside…
        let newest = try #require(Int(try h.sqlite3("SELECT max(id) FROM purge_records")))
        let prev = try h.sqlite3("SELECT prev_hash FROM purge_records WHERE id = \(newest)")
        #expect(prev.count == 64)
        try h.sqlite3(
            "DELETE FROM purge_records WHERE id = \(newest); UPDATE purge_chain SET head_hash = '\(prev)', records = records - 1"
        )
        #expect(try h.store.verifyPurgeChain().ok, "documented limit: a consistent rewrite verifies on its own")
        // …but not against the head an earlier certificate printed.
        let checked = try h.store.verifyPurgeChain(earlierHeads: [printedHead])
        #expect(!checked.ok)
    }

    @Test(
        "R11 prunes old deletion records but leaves a marker on the chain: its totals by rule, the last day pruned; carried over"
    )
    func pruningMarker() throws {
        let (h, clock) = clockedHarness()
        try deliver(h, clock, "2025-09-01", base)
        try deliver(h, clock, "2026-07-03", without([julyLeaver.jointure], staff: false))
        let purger = Purger(
            store: try h.store,
            spool: nil,
            policy: RetentionPolicy(),
            logger: RecordingLogHandler.logger(h.lines)
        )
        _ = try purger.run(asOf: .d("2027-01-01"), executedAt: "2027-01-01T06:00:00Z", dryRun: false)
        let deleted2027 = try h.store.purgeRecords(from: nil, to: nil).filter { $0.rule != "R11" }
        let r6 = deleted2027.filter { $0.rule == "R6" }.map { $0.counts["students"] ?? 0 }.reduce(0, +)
        #expect(r6 > 0)
        #expect(try h.store.lastPruning() == nil, "nothing pruned yet")
        // Two years later the 2027 records leave the chain (R11: current and previous year), a marker stays.
        _ = try purger.run(asOf: .d("2029-01-02"), executedAt: "2029-01-02T06:00:00Z", dryRun: false)
        let (marker, through) = try #require(try h.store.lastPruning())
        #expect(through == .d("2027-01-01"))
        #expect(marker.counts["R6 students"] == r6, "\(marker.counts)")
        #expect((marker.counts["records"] ?? 0) >= deleted2027.count)
        #expect(try h.store.verifyPurgeChain().ok)
        #expect(!(try h.store.purgeRecords(from: nil, to: nil)).contains { $0.rule == "R6" })
        // Another window later the marker itself is pruned, its totals carried into the next one.
        _ = try purger.run(asOf: .d("2031-01-02"), executedAt: "2031-01-02T06:00:00Z", dryRun: false)
        let (carried, carriedThrough) = try #require(try h.store.lastPruning())
        #expect(carried.counts["R6 students"] == r6, "\(carried.counts)")
        #expect(carriedThrough >= .d("2027-01-01"))
        #expect(try h.store.verifyPurgeChain().ok)
    }

    @Test("R9 per record: a Delta that repeats one pupil keeps that pupil (and its guardians), not everyone")
    func perRecordCap() throws {
        let (h, clock) = clockedHarness()
        try deliver(h, clock, "2025-09-01", base)
        let kept = base.pupils[5]
        var one = base
        one.pupils = [kept]
        one.staff = []
        one.guardians = base.guardians.filter { kept.guardians.contains($0.jointure) }
        clock.set(.d("2027-06-01"))
        try h.importDelivery(h.write(one, date: .d("2027-06-01"), mode: .delta, partSize: 1000))
        let preview = try h.purge("2027-09-02", dryRun: true)
        let result = try h.purge("2027-09-02")
        #expect(preview.counts == result.counts)
        #expect(result.counts["R9"]?["students"] == base.pupils.count - 1, "\(result.counts)")
        #expect(result.counts["R9"]?["staff"] == base.staff.count)
        #expect(try h.person(kept.jointure) != nil)
        for g in kept.guardians { #expect(try h.person(g) != nil) }
        #expect(try h.person(base.pupils[6].jointure) == nil)
        // Two years after that Delta, the last one goes too.
        try h.purge("2029-06-01")
        #expect(try h.person(kept.jointure) == nil)
    }

    @Test("R13: an edited or removed deletion record is detected")
    func tampering() throws {
        let (h, clock) = clockedHarness()
        try deliver(h, clock, "2025-09-01", base)
        try deliver(h, clock, "2026-07-03", without([julyLeaver.jointure, januaryLeaver.jointure], staff: true))
        try h.purge("2027-01-01")
        let records = try h.store.purgeRecords(from: nil, to: nil)
        #expect(records.count >= 3)
        #expect(try h.store.verifyPurgeChain().ok)
        try h.sqlite3("UPDATE purge_records SET counts = '{\"students\":0}' WHERE id = \(records[1].id)")
        let edited = try h.store.verifyPurgeChain()
        #expect(!edited.ok)
        #expect(edited.problems.contains { $0.contains("record \(records[1].id)") && $0.contains("edited") })
        try h.sqlite3("UPDATE purge_records SET counts = '\(records[1].countsJSON)' WHERE id = \(records[1].id)")
        #expect(try h.store.verifyPurgeChain().ok)
        try h.sqlite3("DELETE FROM purge_records WHERE id = \(records[0].id)")
        #expect(try !h.store.verifyPurgeChain().ok)
    }

    @Test("R10: a refused delivery stays 5 working days in the spool, then the purge deletes it")
    func refusedSpool() throws {
        let h = Harness()
        let spool = try Spool(root: h.temp.file("spool"))
        let folder = spool.folder(for: Delivery(mode: .complet, date: .d("2026-07-03")))
        let entry = try spool.store("ENT1D_Complet_20260703_Eleve_0000.xml", in: folder, expectedSize: 3) { writer in
            try [UInt8]("abc".utf8).withUnsafeBytes { try writer.write($0) }
        }
        try spool.commit([entry], in: folder)
        try spool.markRefused(folder, on: .d("2026-07-03"), rule: .r21)  // a Friday
        try h.purge("2026-07-09", spool: spool)  // Thursday: 4 working days
        #expect(FileManager.default.fileExists(atPath: folder))
        let result = try h.purge("2026-07-10", spool: spool)  // Friday: 5 working days
        #expect(!FileManager.default.fileExists(atPath: folder))
        #expect(result.counts["R10"]?["refused deliveries"] == 1)
    }
}
