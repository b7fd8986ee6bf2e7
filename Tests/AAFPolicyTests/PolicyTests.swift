import AAFModel
import AAFPolicy
import Foundation
import Testing

@Suite("Allow-list (R1–R3)")
struct AllowListTests {
    let list = AllowList()

    @Test(
        "R1: Annexe 3 names are kept, per category; anything else is dropped",
        arguments: [
            (AAFCategory.pupil, "ENTEleveNiveau", true), (.pupil, "ENTEleveINE", false),
            (.pupil, "ENTPersonMail", false),
            (.pupil, "ENTEleveDateEntreeClasses", false), (.guardian, "ENTPersonDateNaissance", false),
            (.guardian, "ENTPersonMail", true), (.staff, "ENTPersonCategorieEnseignant", false),
            (.staff, "ENTEnsSpecialites", true),
            (.structure, "ENTStructureMailSI", false), (.structure, "ENTStructureUAI", true),
            (.pupil, "ENTFutureAttribute2031", false),
        ]
    )
    func annex3(category: AAFCategory, name: String, kept: Bool) {
        #expect(list.keeps(name, category: category, jointure: "1") == kept)
    }

    @Test("R3: phone numbers are kept for guardians only")
    func phones() {
        for phone in ["ENTPersRelEleveTelMobile", "ENTPersonTelPerso", "ENTPersRelEleveTelPro"] {
            #expect(list.keeps(phone, category: .guardian, jointure: "1"))
            for other in [AAFCategory.pupil, .staff, .structure] {
                #expect(!list.keeps(phone, category: other, jointure: "1"))
            }
        }
    }

    @Test("R2: a staff home address only for jointures with consent; guardians' addresses always")
    func consentSeam() {
        let withConsent = AllowList(homeAddressConsents: ["7000001"])
        for field in AttributeCatalog.homeAddress {
            #expect(!withConsent.keeps(field, category: .staff, jointure: "7000002"))
            #expect(withConsent.keeps(field, category: .staff, jointure: "7000001"))
            #expect(!list.keeps(field, category: .staff, jointure: "7000001"))
            #expect(list.keeps(field, category: .guardian, jointure: "5000000"))
            #expect(!withConsent.keeps(field, category: .pupil, jointure: "7000001"))
        }
    }
}

@Suite("Departure guard (R21)")
struct DepartureGuardTests {
    @Test(
        "refused only when departures exceed both 5 % and 10 people",
        arguments: [
            (1000, 50, false), (1000, 51, true), (100, 10, false), (100, 11, true), (20, 11, true), (20, 10, false),
            (0, 0, false), (10_000, 11, false),
        ]
    )
    func thresholds(active: Int, departing: Int, refused: Bool) {
        #expect(DepartureGuard().isBreached(activeBefore: active, departing: departing) == refused)
    }

    @Test("the thresholds are settings")
    func settings() {
        let strict = DepartureGuard(maximumPercent: 1, maximumPeople: 2)
        #expect(strict.isBreached(activeBefore: 100, departing: 3))
        let breaches = strict.breaches([.pupil: (100, 3), .staff: (100, 2), .guardian: (100, 50)])
        #expect(breaches.map(\.category) == [.pupil, .guardian])
    }
}

@Suite("Departure rule (R6–R8)")
struct RetentionPolicyTests {
    @Test("pupils and guardians: purge on 1 January after the departure; staff: deleted at once")
    func departure() {
        let p = RetentionPolicy()
        let d = ExtractDate(year: 2026, month: 9, day: 2)!
        #expect(p.departure(of: .pupil, on: d) == .markDeparted(purgeDue: ExtractDate(year: 2027, month: 1, day: 1)!))
        #expect(
            p.departure(of: .guardian, on: ExtractDate(year: 2026, month: 12, day: 31)!)
                == .markDeparted(purgeDue: ExtractDate(year: 2027, month: 1, day: 1)!)
        )
        #expect(p.departure(of: .staff, on: d) == .delete)
        // A shorter delay (DPO): 30 days after departure, or the end of the year if sooner; never later.
        #expect(
            RetentionPolicy(pupilDaysAfterDeparture: 30).departure(of: .pupil, on: d)
                == .markDeparted(purgeDue: ExtractDate(year: 2026, month: 10, day: 2)!)
        )
        #expect(
            RetentionPolicy(pupilDaysAfterDeparture: 30).purgeDue(
                departedOn: ExtractDate(year: 2026, month: 12, day: 20)!
            ) == ExtractDate(year: 2027, month: 1, day: 1)!
        )
    }
}

@Suite("Names and dates")
struct ModelTests {
    @Test(
        "delivery file names are matched from the right",
        arguments: [
            ("ENT1D_Complet_20170522_Eleve_0000.xml", true),
            ("clean-FULL_ENTTSSERVICES_Complet_20130117_PersRelEleve_0039.xml", true),
            ("ENT_0941234A_Delta_20250101_EtabEducNat_0001.xml", true), ("ENT_Complet_Eleve_0000.xml", false),
            ("ENT1D_Complet_20170522_MatiereEducNat_0000.xml", false), ("ENT1D_Complet_20170231_Eleve_0000.xml", false),
            ("ENT1D_Complet_20170522_Eleve_000.xml", false), ("../ENT1D_Complet_20170522_Eleve_0000.xml", false),
            ("a/ENT1D_Complet_20170522_Eleve_0000.xml", false), ("ENT1D_Complet_20170522_Eleve_0000.xml.part", false),
            (".ENT1D_Complet_20170522_Eleve_0000.xml", false), ("ENT1D Complet_20170522_Eleve_0000.xml", false),
            ("_Complet_20170522_Eleve_0000.xml", false), ("ficAlimMENESR.dtd", false),
        ]
    )
    func names(name: String, valid: Bool) {
        #expect((DeliveryFileName(name) != nil) == valid)
    }

    @Test("parsed fields")
    func fields() throws {
        let n = try #require(DeliveryFileName("clean-FULL_ENTTSSERVICES_Complet_20130117_PersRelEleve_0039.xml"))
        #expect(n.prefix == "clean-FULL_ENTTSSERVICES")
        #expect(n.mode == .complet)
        #expect(n.date == ExtractDate(year: 2013, month: 1, day: 17))
        #expect(n.category == .guardian)
        #expect(n.part == 39)
    }

    @Test("dates check the calendar and round-trip")
    func dates() {
        #expect(ExtractDate(aaf: "31/02/2020") == nil)
        #expect(ExtractDate(aaf: "29/02/2020") != nil)
        #expect(ExtractDate(aaf: "29/02/2021") == nil)
        #expect(ExtractDate(aaf: " 14/09/1995 ")?.iso == "1995-09-14")
        #expect(ExtractDate(iso: "2025-13-01") == nil)
        let d = ExtractDate(year: 2024, month: 2, day: 28)!
        #expect(d.adding(days: 1).iso == "2024-02-29")
        #expect(d.adding(days: 2).iso == "2024-03-01")
        #expect(ExtractDate(dayNumber: d.dayNumber) == d)
        #expect(ExtractDate(year: 1970, month: 1, day: 1)!.dayNumber == 0)
    }

    @Test("composites: 5-field classes and functions; field 0 for references; bad shapes give nil")
    func composites() {
        let m = Membership(kind: .class, value: "9100000$CP$CP$C91-3$CP A")
        #expect(m?.structure == "9100000" && m?.code == "C91-3" && m?.label == "CP A")
        #expect(Membership(kind: .class, value: "9100000$CP A$x") == nil)
        let f = StaffFunction(value: "50011$-$SANS OBJET$-$SANS OBJET")
        #expect(f?.structure == "50011" && f?.functionCode == nil && f?.positionLabel == "SANS OBJET")
        #expect(GuardianReference.jointure("2867253$2$1$1$0$0") == "2867253")
        #expect(GuardianReference.jointure("2867253") == "2867253")
        #expect(GuardianReference.jointure("$1") == nil)
    }

    /// The tricky values put a non-ASCII character against a `$` or a space, where a Character may join them (the
    /// byte reading must then give way to the Character one), or a CR LF, one Character of two bytes.
    static let awkwardComposites = [
        "9100000$CP$CP$C91-3$CP A", " 9100000 $CP$CP$ C91-3 $CP A ", "S1", "S1$x", "$1", " - $x", "-", "  ",
        "S1$CP$CP$C1$Classe de CE1 élémentaire", "é$CP$CP$C1$L", "S1\u{301}$CP$CP$C1$L", "S1$\u{301}CP$CP$C1$L",
        "S1 \u{301}$CP$CP$C1$L", " \u{301}S1$a$b$c$d", "\u{600}$S1$a$b$c", "S1$a$b$c\u{600}$d", "S1$$$$",
        "S1$a$b$c$d$e", "Ω$a$b$Ω$Ω", "S1\r\n$a$b$c$d", "\u{301}", "S1\u{200D}$a$b$c$d", "S1$-$ - $-$x",
    ]

    @Test("a composite's fields read from its bytes are the fields read from its characters, marks included")
    func fieldsFromBytes() {
        var ranges: [Range<Int>] = []
        for value in Self.awkwardComposites {
            let bytes = Array(value.utf8)
            let fromBytes = bytes.withUnsafeBufferPointer { buffer in
                CompositeFields.reading(buffer, ranges: &ranges) { f in
                    (0..<f.count).map { [f.raw($0), f.trimmed($0) ?? "∅"] }
                }
            }
            let fromCharacters = CompositeFields.reading(value) { f in
                (0..<f.count).map { [f.raw($0), f.trimmed($0) ?? "∅"] }
            }
            #expect(fromBytes == fromCharacters, "\(value.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test("links read from bytes equal an independent reading by characters, combining and prepended marks included")
    func linksFromBytes() {
        // The reference, written here apart from the model: split on the `$` Character, trim space Characters,
        // `-` or nothing means none.
        func fields(_ value: String) -> [String] {
            value.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        }
        func none(_ field: String) -> String? {
            var trimmed = Substring(field)
            while trimmed.first == " " { trimmed = trimmed.dropFirst() }
            while trimmed.last == " " { trimmed = trimmed.dropLast() }
            return trimmed.isEmpty || trimmed == "-" ? nil : String(trimmed)
        }
        let values = Self.awkwardComposites
        let attachments = values.compactMap { none(fields($0)[0]) }
        let guardians = values.indices.compactMap { i in none(fields(values[i])[0]).map { (i, $0) } }
        let classes = values.compactMap { value -> Membership? in
            let f = fields(value)
            guard f.count == 5, let structure = none(f[0]), let code = none(f[3]) else { return nil }
            return Membership(kind: .class, structure: structure, code: code, label: f[4])
        }
        let functions = values.indices.compactMap { i -> (Int, StaffFunction)? in
            let f = fields(values[i])
            guard f.count == 5, let structure = none(f[0]) else { return nil }
            let function = StaffFunction(
                structure: structure,
                functionCode: none(f[1]),
                functionLabel: none(f[2]),
                positionCode: none(f[3]),
                positionLabel: none(f[4])
            )
            return (i, function)
        }
        #expect(classes.count >= 8 && functions.count >= 8 && attachments.count >= 15)
        let pupil = AAFRecord(
            kind: .add,
            category: .pupil,
            jointure: "E1",
            attributes: [
                AAFAttribute(name: "ENTPersonStructRattach", values: values),
                AAFAttribute(name: "ENTEleveAutoriteParentale", values: values),
                AAFAttribute(name: "ENTPersonClasses", values: values),
            ],
            line: 1
        )
        let links = RecordLinks(pupil)
        #expect(links.attachments == attachments)
        #expect(links.guardians.map(\.position) == guardians.map(\.0))
        #expect(links.guardians.map(\.value) == guardians.map(\.1))
        #expect(links.classes == classes)
        #expect(links.skipped["ENTPersonClasses"] == values.count - classes.count)
        let staff = AAFRecord(
            kind: .add,
            category: .staff,
            jointure: "T1",
            attributes: [AAFAttribute(name: "ENTPersonFonctions", values: values)],
            line: 1
        )
        let staffLinks = RecordLinks(staff)
        #expect(staffLinks.functions.map(\.position) == functions.map(\.0))
        #expect(staffLinks.functions.map(\.value) == functions.map(\.1))
        // The String readers the rest of aafd uses give the same.
        #expect(values.compactMap { StructureReference.jointure($0) } == attachments)
        #expect(values.compactMap { Membership(kind: .class, value: $0) } == classes)
    }
}

@Suite("Schedule across daylight-saving changes (Europe/Paris)")
struct ScheduleTests {
    func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test("06:30 Paris is 05:30 UTC in winter and 04:30 UTC in summer, across the March change")
    func march() {
        let s = Schedule()
        #expect(s.next(after: utc("2026-03-28T06:00:00Z")) == utc("2026-03-29T04:30:00Z"))
        #expect(s.next(after: utc("2026-03-27T06:00:00Z")) == utc("2026-03-28T05:30:00Z"))
        #expect(s.next(after: utc("2026-03-29T04:30:00Z")) == utc("2026-03-30T04:30:00Z"))
    }

    @Test("…and back to 05:30 UTC across the October change")
    func october() {
        let s = Schedule()
        #expect(s.next(after: utc("2026-10-24T06:00:00Z")) == utc("2026-10-25T05:30:00Z"))
        #expect(s.next(after: utc("2026-10-23T06:00:00Z")) == utc("2026-10-24T04:30:00Z"))
    }

    @Test("a time inside the spring-forward gap runs at the next existing minute")
    func gap() {
        var s = Schedule()
        s.hour = 2
        s.minute = 30
        #expect(s.next(after: utc("2026-03-28T12:00:00Z")) == utc("2026-03-29T01:00:00Z"))
    }

    @Test("last(atOrBefore:) is the most recent scheduled instant (catch-up)")
    func last() {
        let s = Schedule()
        #expect(s.last(atOrBefore: utc("2026-03-29T04:29:00Z")) == utc("2026-03-28T05:30:00Z"))
        #expect(s.last(atOrBefore: utc("2026-03-29T04:30:00Z")) == utc("2026-03-29T04:30:00Z"))
        #expect(s.last(atOrBefore: utc("2026-11-29T12:00:00Z")) == utc("2026-11-29T05:30:00Z"))
    }
}

@Suite("Date arithmetic over the whole accepted range (R6–R11)")
struct DateRangeTests {
    @Test("no date from 1900-01-01 to 9999-12-31 makes the retention rules trap (a 9999 delivery crashed every run)")
    func wholeRange() {
        let policies = [
            RetentionPolicy(),
            {
                var p = RetentionPolicy()
                p.pupilDaysAfterDeparture = 30
                return p
            }(),
        ]
        var checked = 0
        for year in [1900, 1901, 1999, 2000, 2024, 2100, 9998, 9999] + Array(stride(from: 1900, through: 9999, by: 97))
        {
            for (month, day) in [(1, 1), (2, 28), (2, 29), (6, 30), (12, 31)] {
                guard let date = ExtractDate(year: year, month: month, day: day) else { continue }
                for policy in policies {
                    let due = policy.purgeDue(departedOn: date)
                    #expect(due > date)
                    let plan = policy.plan(asOf: date)
                    #expect(plan.departedBefore <= date)
                    #expect(plan.receivedOnOrBefore < date)
                    _ = policy.refusedDeliveryExpired(refusedOn: date, asOf: date)
                }
                #expect(date.addingYears(2).year == year + 2)
                #expect(date.addingYears(-2).year == year - 2)
                #expect(date.firstDayOfNextYear.iso == ExtractDate.firstOfJanuary(year + 1).iso)
                #expect(date.addingWorkingDays(5) > date)
                checked += 1
            }
        }
        #expect(checked > 300)
        // 29 February moves to 28 February in a common year.
        #expect(ExtractDate(year: 2024, month: 2, day: 29)!.addingYears(1).iso == "2025-02-28")
        #expect(ExtractDate(year: 9999, month: 12, day: 31)!.firstDayOfNextYear.iso == "10000-01-01")
    }
}

@Suite("Delivery file names (R15, R20)")
struct FileNameTests {
    @Test("shell metacharacters, spaces, non-ASCII and names too long for .NAME.part are refused")
    func unsafeNames() {
        #expect(DeliveryFileName("ENT1D_Complet_20250901_Eleve_0000.xml") != nil)
        #expect(DeliveryFileName("clean-FULL_ENTTSSERVICES_Complet_20130117_Eleve_0001.xml") != nil)
        for bad in [
            "A;`id`$(touch${IFS}X)|x_Complet_20250901_Eleve_0000.xml", "A B_Complet_20250901_Eleve_0000.xml",
            "É_Complet_20250901_Eleve_0000.xml",
            String(repeating: "A", count: 200) + "_Complet_20250901_Eleve_0000.xml",
            ".hidden_Complet_20250901_Eleve_0000.xml", "a/b_Complet_20250901_Eleve_0000.xml",
        ] {
            #expect(DeliveryFileName(bad) == nil, "\(bad)")
            #expect(!DeliveryFileName.isSafe(bad))
        }
        let longest =
            String(repeating: "A", count: DeliveryFileName.maximumLength - 33) + "_Complet_20250901_Eleve_0000.xml"
        #expect(DeliveryFileName(longest) != nil)
        #expect((".\(longest).part").utf8.count <= 255)
    }
}
