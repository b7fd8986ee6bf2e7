import AAFFixtures
import AAFModel
import AAFPipeline
import AAFStore
import AAFTestSupport
import Foundation
import Testing

/// Every refusal leaves the directory exactly as it was, journals the attempt, and says why (R21, R20).
@Suite("Refused deliveries change nothing")
struct RefusalTests {
    /// Imports day 1, applies `damage` to a copy of day 2, and checks the refusal.
    func expectRefusal(
        _ damage: (String) -> Void,
        rule: Rule? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ImportFailure {
        let h = Harness()
        try h.importDelivery(h.day("20250901"))
        let before = try h.dump()
        let folder = h.copyOfDay("20250902")
        damage(folder)
        let failure = try #require(try h.refusal(folder), sourceLocation: sourceLocation)
        #expect(failure.report.outcome == .refused, sourceLocation: sourceLocation)
        #expect(try h.dump() == before, "the directory changed", sourceLocation: sourceLocation)
        #expect(try h.journal().first?.outcome == .refused, sourceLocation: sourceLocation)
        #expect(try h.store.lastImportedExtractDate() == .d("2025-09-01"), sourceLocation: sourceLocation)
        if let rule { #expect(failure.report.rule == rule, sourceLocation: sourceLocation) }
        return failure
    }

    @Test("a Complet without one of its four categories (R20)")
    func missingCategory() throws {
        let failure = try expectRefusal(
            { folder in
                for f in files(in: folder, matching: "PersEducNat") { try! FileManager.default.removeItem(atPath: f) }
            },
            rule: .r20
        )
        #expect(failure.description.contains("PersEducNat"))
        #expect(failure.description.contains("incomplete"))
    }

    @Test("parts that do not run from 0000 (R20)")
    func gap() throws {
        let failure = try expectRefusal({ folder in
            try! FileManager.default.removeItem(atPath: files(in: folder, matching: "Eleve_0000")[0])
        })
        #expect(failure.description.contains("part 0000 is missing"))
    }

    @Test("a folder holding two extract dates")
    func twoDates() throws {
        let failure = try expectRefusal({ folder in
            let other = Paths.fixtures.appendingPathComponent("ent1d/20250903/ENT1D_Complet_20250903_Eleve_0000.xml")
                .path
            try! FileManager.default.copyItem(atPath: other, toPath: folder + "/ENT1D_Complet_20250903_Eleve_0000.xml")
        })
        #expect(failure.description.contains("several deliveries"))
    }

    @Test("a header that says degre 2D")
    func secondDegree() throws {
        let failure = try expectRefusal({ folder in
            edit(files(in: folder, matching: "PersRelEleve_0001")[0]) {
                $0.replacingOccurrences(of: "degre=\"1D\"", with: "degre=\"2D\"")
            }
        })
        #expect(failure.description.contains("not 1D"))
    }

    @Test("a truncated last part, after pupils were already applied in the transaction (R21)")
    func truncatedLastPart() throws {
        let failure = try expectRefusal({ folder in
            let path = files(in: folder, matching: "PersRelEleve_0002")[0]
            let data = FileManager.default.contents(atPath: path)!
            try! data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        })
        #expect(failure.description.contains("PersRelEleve_0002.xml:"))
    }

    @Test("a malformed record with a sentinel name: refused, and the sentinel is in no output (R15)")
    func sentinel() throws {
        let h = Harness()
        try h.importDelivery(h.day("20250901"))
        let folder = h.copyOfDay("20250902")
        edit(files(in: folder, matching: "Eleve_0001")[0]) { text in
            text.replacingOccurrences(
                of: "<attr name=\"ENTPersonPrenom\"><value>",
                with: "<attr name=\"ENTPersonPrenom\"><value>SENTINELZZ</valeur><value>"
            )
        }
        let failure = try #require(try h.refusal(folder))
        let outputs =
            [failure.description, "\(failure.report)", h.lines.all.joined(separator: "\n")]
            + (try h.journal()).map { "\($0)" }
        for output in outputs {
            #expect(!output.contains("SENTINELZZ"))
        }
        #expect(failure.description.contains("Eleve_0001.xml:"))
    }

    @Test("a delivery older than the last imported one (R20)")
    func older() throws {
        let h = Harness()
        try h.importDelivery(h.day("20250902"))
        let before = try h.dump()
        let failure = try #require(try h.refusal(h.day("20250901")))
        #expect(failure.report.rule == .r20)
        #expect(failure.description.contains("older"))
        #expect(try h.dump() == before)
    }

    @Test("the same delivery again is accepted (idempotent re-run)")
    func sameDate() throws {
        let h = Harness()
        try h.importDelivery(h.day("20250902"))
        #expect(try h.refusal(h.day("20250902")) == nil)
    }

    @Test("a folder with no delivery file")
    func empty() throws {
        let h = Harness()
        let folder = h.temp.folder("empty")
        h.temp.write("empty/notes.txt", "x")
        let failure = try #require(try h.refusal(folder))
        #expect(failure.description.contains("no ENT1D delivery file"))
    }
}

@Suite("Mass-departure guard (R21)")
struct DepartureGuardImportTests {
    func halfGone() -> SyntheticDirectory {
        var d = Scenario.day(1)
        d.pupils = Array(d.pupils.prefix(30))
        return d
    }

    @Test("half the pupils gone: refused, nothing changes; accepted explicitly: imported")
    func halfThePupils() throws {
        let h = Harness()
        try h.importDelivery(h.day("20250901"))
        let before = try h.dump()
        let folder = h.write(halfGone(), date: .d("2025-09-02"))
        let failure = try #require(try h.refusal(folder))
        #expect(failure.report.rule == .r21)
        #expect(failure.description.contains("Eleve: 30 of 60"))
        #expect(failure.description.contains("--accept-departures"))
        #expect(try h.dump() == before)
        #expect(try h.store.counts()[.pupil] == 60)

        let report = try h.importDelivery(folder, acceptDepartures: true)
        #expect(report.counts[.pupil]?.departed == 30)
        #expect(try h.store.counts()[.pupil] == 30)
    }

    @Test("the default threshold: of 200 pupils, 10 departures pass and 11 are refused")
    func boundary() throws {
        for (gone, refused) in [(10, false), (11, true)] {
            let h = Harness()
            var big = SyntheticDirectory.generate(schools: 2, pupils: 200, seed: 5)
            try h.importDelivery(h.write(big, date: .d("2025-09-01"), partSize: 1000))
            // One child of each family with two: their guardians stay linked to the sibling (no R7 departure).
            var families = Set<[String]>()
            var leaving: [String] = []
            for p in big.pupils
            where big.pupils.filter({ $0.guardians == p.guardians }).count > 1 && !families.contains(p.guardians) {
                families.insert(p.guardians)
                leaving.append(p.jointure)
            }
            let chosen = Set(leaving.prefix(gone))
            #expect(chosen.count == gone)
            big.pupils.removeAll { chosen.contains($0.jointure) }
            let result = try h.refusal(h.write(big, date: .d("2025-09-02"), partSize: 1000))
            #expect((result != nil) == refused, "\(gone) departures")
            #expect(try h.store.counts()[.pupil] == (refused ? 200 : 200 - gone))
        }
    }
}

@Suite("Dry run")
struct DryRunTests {
    @Test("--dry-run reports the changes, commits nothing, and is not a last import")
    func dryRun() throws {
        let h = Harness()
        try h.importDelivery(h.day("20250901"))
        let before = try h.dump()
        let report = try h.importDelivery(h.day("20250902"), dryRun: true)
        #expect(report.dryRun)
        #expect(report.counts[.pupil]?.added == 2)
        #expect(report.counts[.pupil]?.departed == 1)
        #expect(try h.dump() == before)
        #expect(try h.store.lastImportedExtractDate() == .d("2025-09-01"))
        #expect(try h.journal().first?.dryRun == true)
    }
}

@Suite("Delta deliveries")
struct DeltaTests {
    @Test("add, full-replace modify and delete in one Delta file; the others are untouched")
    func delta() throws {
        let h = Harness()
        try h.importDelivery(h.day("20250901"))
        let base = Scenario.base
        let leaving = Scenario.leavingPupil
        let modified = base.pupils[8]
        let folder = h.temp.folder("delta")
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">
            <ficAlimMENESR>
            <!-- degre="1D" -->
            <modifyRequest><operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr></operationalAttributes>
            <identifier><id>\(modified.jointure)</id></identifier><modifications>
            <modification name="ENTPersonJointure" operation="replace"><value>\(modified.jointure)</value></modification>
            <modification name="ENTPersonNom" operation="replace"><value>MODIFIE</value></modification>
            <modification name="ENTPersonStructRattach" operation="replace"><value>\(modified.school)</value></modification>
            <modification name="ENTEleveAutoriteParentale" operation="replace"><value>\(modified.guardians[0])$1$1$1$1$1</value></modification>
            </modifications></modifyRequest>
            <deleteRequest><operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr></operationalAttributes>
            <identifier><id>\(leaving.jointure)</id></identifier></deleteRequest>
            <deleteRequest><operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr></operationalAttributes>
            <identifier><id>999999999</id></identifier></deleteRequest>
            </ficAlimMENESR>
            """
        h.temp.write("delta/ENT1D_Delta_20250905_Eleve_0000.xml", text)
        let report = try h.importDelivery(folder)
        #expect(report.mode == .delta)
        #expect(report.counts[.pupil]?.updated == 1)
        #expect(report.counts[.pupil]?.departed == 1)
        #expect(report.counts[.pupil]?.unknownDeletes == 1)
        // A Delta infers no departure from absence.
        #expect(try h.store.counts()[.pupil] == 59)
        // Full replace: attributes left out are now empty.
        let m = try #require(try h.person(modified.jointure))
        #expect(m.attributes.first { $0.name == "ENTPersonNom" }?.values == ["MODIFIE"])
        #expect(m.attributes.first { $0.name == "ENTPersonPrenom" } == nil)
        #expect(m.classes.isEmpty)
        // R7: the deleted only child's guardians depart with them.
        for g in leaving.guardians { #expect(try h.person(g)?.departedOn == .d("2025-09-05")) }
    }
}
