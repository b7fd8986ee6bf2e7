import AAFFixtures
import AAFModel
import AAFPipeline
import AAFStore
import AAFTestSupport
import Foundation
import Testing

@Suite("Three mornings of the committed fixture")
struct ScenarioTests {
    @Test("day 1: everything added; Annexe 3 applied (R1–R4)")
    func dayOne() throws {
        let h = Harness()
        let report = try h.importDelivery(h.day("20250901"))
        #expect(report.counts[.structure]?.added == 3)
        #expect(report.counts[.pupil]?.added == 60)
        #expect(report.counts[.staff]?.added == 5)
        #expect(report.counts[.guardian]?.notStoredUnreferenced == 1)
        #expect(report.ignoredFiles == ["ficAlimMENESR.dtd"])
        let counts = try h.store.counts()
        #expect(counts[.structure] == 3 && counts[.pupil] == 60 && counts[.staff] == 5 && counts[.guardian] == 88)

        let base = Scenario.base
        // R1: attributes Annexe 3 does not list are dropped while parsing, counted by name, absent from the files.
        #expect(report.droppedAttributes["ENTEleveINE"] == 60)
        #expect(!h.databaseFilesContain(base.pupils[3].ine))
        #expect(!h.databaseFilesContain("eleve.\(base.pupils[3].jointure)@example.org"))
        #expect(!h.databaseFilesContain("si.\(base.schools[0].uai.lowercased())"))
        // R2: a staff member's home address is not stored without consent.
        #expect(!h.databaseFilesContain(base.staff[1].homeStreet))
        #expect(!h.databaseFilesContain("SAINT-MAUR"))
        // R3: phones only for guardians (the guardians' landline is stored: the check can see phones).
        #expect(!h.databaseFilesContain("0145000000"))
        #expect(h.databaseFilesContain("0143000000"))
        // R4: the guardian no pupil references is not stored.
        #expect(!h.databaseFilesContain("UNREFERENCED"))
        #expect(try h.person(base.guardians.last!.jointure) == nil)

        // Values as the parser must read them.
        let first = try #require(try h.person(base.pupils[0].jointure))
        #expect(first.attributes.first { $0.name == "ENTPersonNom" }?.values == ["\(base.pupils[0].surname)-Hélène"])
        let director = try #require(try h.person(base.staff[0].jointure))
        #expect(director.attributes.first { $0.name == "ENTPersonNom" }?.values == ["D'\(base.staff[0].surname)"])
        #expect(director.functions.first?.positionLabel == "DIRECTRICE D'ECOLE")
        #expect(director.directs.map(\.jointure) == [base.staff[0].school])
        #expect(director.directs.first?.uai == base.schools.first { $0.jointure == base.staff[0].school }?.uai)

        // Links resolved through ENTStructureJointure.
        let pupil = try #require(try h.person(base.pupils[2].jointure))
        #expect(pupil.structures.map(\.jointure) == [base.pupils[2].school])
        #expect(pupil.structures.first?.uai != nil)
        #expect(pupil.classes.map(\.code) == [base.pupils[2].classCode])
        #expect(pupil.guardians.map(\.jointure) == base.pupils[2].guardians)
        #expect(pupil.guardians.allSatisfy { $0.stored })
    }

    @Test("day 2: arrivals, a departure (R6, R7), a rename (R5), a class change, a staff departure (R8)")
    func dayTwo() throws {
        let h = Harness()
        try h.importDelivery(h.day("20250901"))
        let report = try h.importDelivery(h.day("20250902"))
        #expect(report.counts[.pupil]?.added == 2)
        #expect(report.counts[.pupil]?.departed == 1)
        #expect(report.counts[.staff]?.departed == 1)
        #expect(report.counts[.pupil]?.updated == 2)  // the rename and the class change
        #expect(report.counts[.structure]?.unchanged == 3)

        // R6: departed on the extract date, purge due at the end of that civil year.
        let leaving = Scenario.leavingPupil
        let gone = try #require(try h.person(leaving.jointure))
        #expect(gone.departedOn == .d("2025-09-02"))
        #expect(gone.purgeDue == .d("2026-01-01"))
        // R7: their guardians (an only child) depart with them.
        for g in leaving.guardians {
            let guardian = try #require(try h.person(g))
            #expect(guardian.departedOn == .d("2025-09-02"))
            #expect(guardian.purgeDue == .d("2026-01-01"))
        }
        #expect(report.counts[.guardian]?.departed == leaving.guardians.count)
        // R8: staff deleted by the same import.
        #expect(try h.person(Scenario.leavingStaff.jointure) == nil)
        // R5: only the latest value; the old surname is nowhere in the database files.
        let renamed = try #require(try h.person(Scenario.renamedPupil.jointure))
        #expect(renamed.attributes.first { $0.name == "ENTPersonNom" }?.values == [Scenario.newSurname])
        #expect(!h.databaseFilesContain(Scenario.oldSurname))
        // Class change.
        let moving = try #require(try h.person(Scenario.movingPupil.jointure))
        #expect(moving.classes.count == 1)
        #expect(moving.classes.first?.code != Scenario.movingPupil.classCode)
        // Arrivals with their new guardian.
        let arrival = try #require(try h.person(Scenario.arrivals[0]))
        #expect(arrival.guardians.map(\.jointure) == ["5999001"])
        #expect(try h.person("5999001")?.pupils.count == 2)

        let counts = try h.store.counts()
        #expect(counts[.pupil] == 61)
        #expect(counts[.staff] == 4)
        #expect(counts.departed == 1 + leaving.guardians.count)
    }

    @Test("day 3: the pupil who left comes back before the purge and is active again (R6)")
    func dayThree() throws {
        let h = Harness()
        for day in ["20250901", "20250902"] { try h.importDelivery(h.day(day)) }
        let report = try h.importDelivery(h.day("20250903"))
        #expect(report.counts[.pupil]?.reactivated == 1)
        let back = try #require(try h.person(Scenario.leavingPupil.jointure))
        #expect(back.departedOn == nil)
        #expect(back.purgeDue == nil)
        for g in Scenario.leavingPupil.guardians {
            #expect(try h.person(g)?.departedOn == nil)
        }
        #expect(try h.store.counts().departed == 0)
        #expect(try h.store.lastImportedExtractDate() == .d("2025-09-03"))
    }

    @Test(
        "an unchanged re-import rewrites nothing: the journal row, the last-received and last-Complet dates and the change feed's context (set, then back to admin) are the only changes; the feed records nothing"
    )
    func unchangedReimport() throws {
        let h = Harness()
        try h.importDelivery(h.day("20250901"))
        let before = try h.dump()
        let changesBefore = try h.store.totalChanges
        let cursor = try h.store.changeFeed.window().current
        let report = try h.importDelivery(h.day("20250901"))
        #expect(try h.store.totalChanges - changesBefore == 5)
        #expect(try h.store.changeFeed.window().current == cursor)
        #expect(try h.dump() == before)
        for category in AAFCategory.importOrder {
            let c = try #require(report.counts[category])
            #expect(c.added == 0 && c.updated == 0 && c.departed == 0)
        }
        #expect(report.counts[.pupil]?.unchanged == 60)
    }

    @Test("the journal has one row per attempt, with counts and dropped names, and no personal data (R15)")
    func journal() throws {
        let h = Harness()
        try h.importDelivery(h.day("20250901"))
        try h.importDelivery(h.day("20250902"))
        let rows = try h.journal()
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { $0.outcome == .imported })
        #expect(rows[0].extractDate == .d("2025-09-02"))
        #expect((rows[0].counts[.pupil]?.records ?? 0) > 0)
        #expect((rows[0].dropped["ENTEleveINE"] ?? 0) > 0)
        let everything = rows.map { "\($0)" }.joined() + h.lines.all.joined()
        for p in Scenario.base.pupils.prefix(10) {
            #expect(!everything.contains(p.surname))
        }
    }

    @Test("the committed fixtures are exactly what the generator writes")
    func noDrift() throws {
        let temp = TemporaryDirectory("drift")
        try Scenario.write(to: temp.path) {
            try FileManager.default.createDirectory(atPath: $0, withIntermediateDirectories: true)
        }
        for date in Scenario.dates {
            let generated = temp.path + "/" + date.compact
            for name in try FileManager.default.contentsOfDirectory(atPath: generated) {
                let committed = Paths.fixtures.appendingPathComponent("ent1d/\(date.compact)/\(name)").path
                #expect(
                    FileManager.default.contents(atPath: committed)
                        == FileManager.default.contents(atPath: generated + "/" + name),
                    "\(name) drifted: run aafd-fixtures scenario --out Fixtures/ent1d"
                )
            }
        }
    }
}

@Suite("Guardians whose children left (R4, R7, R21)")
struct DepartedGuardianTests {
    @Test(
        "a guardian still listed after the children left stays departed: departed_on does not move, nothing reactivates, the guard is not fooled"
    )
    func staysDeparted() throws {
        let h = Harness()
        try h.importDelivery(h.day("20250901"))
        try h.importDelivery(h.day("20250902"))
        let guardians = Scenario.leavingPupil.guardians
        #expect(!guardians.isEmpty)
        for g in guardians { #expect(try h.person(g)?.departedOn == .d("2025-09-02"), "R7 on day 2") }
        // The same population again, three later mornings: the académie still lists those guardians.
        for day in ["2025-09-05", "2025-09-08", "2025-09-09"] {
            let report = try h.importDelivery(h.write(Scenario.day(2), date: .d(day)))
            #expect(report.counts[.guardian]?.reactivated == 0)
            #expect(report.counts[.guardian]?.departed == 0)
        }
        for g in guardians { #expect(try h.person(g)?.departedOn == .d("2025-09-02"), "departed_on moved forward") }
        // The child comes back: the guardians are active again.
        try h.importDelivery(h.write(Scenario.day(3), date: .d("2025-09-10")))
        for g in guardians { #expect(try h.person(g)?.departedOn == nil) }
    }
}
