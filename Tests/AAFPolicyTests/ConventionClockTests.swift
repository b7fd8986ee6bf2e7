import AAFModel
import AAFPolicy
import Foundation
import Testing

/// The convention's clocks and R20's judgement as pure functions, with fixed dates: no test depends on today
/// (issue 22).
@Suite("Convention clocks and R20, with fixed dates")
struct ConventionClockTests {
    func day(_ iso: String) -> ExtractDate { ExtractDate(iso: iso)! }

    @Test(
        "art. 7: 8 days after receipt, moved back to a working day",
        arguments: [
            ("2025-12-17", "2025-12-24"),  // Thursday 25 is Christmas: the 24th is a Wednesday
            ("2026-05-06", "2026-05-13"),  // Thursday 14 is Ascension; the 13th stays
            ("2025-11-20", "2025-11-28"),  // Friday 28
            ("2026-04-25", "2026-04-30"),  // the 3rd of May is a Sunday, the 2nd a Saturday, the 1st a holiday
        ]
    )
    func forwardDue(received: String, due: String) {
        #expect(ConventionClocks.forwardDue(receivedOn: day(received)) == day(due))
    }

    @Test("art. 6.3: the publisher's 3 working days skip 1 May and the weekend")
    func publisherDue() {
        #expect(ConventionClocks.publisherDue(publisherReceivedOn: day("2026-04-30")) == day("2026-05-06"))
    }

    @Test("art. 6.1 and 12: 48 h for the académie, 72 h for the CNIL; what stops each clock")
    func securityClocks() {
        let known = Date(timeIntervalSince1970: 1_767_600_000)  // 2026-01-05T08:00:00Z
        func keys(
            _ kind: SecurityIncidentKind,
            risk: RiskLevel = .unknown,
            reason: Bool = false,
            alerted: Bool = false,
            notified: Bool = false,
            closed: Bool = false
        ) -> [String] {
            ConventionClocks.securityDeadlines(
                knownAt: known,
                kind: kind,
                risk: risk,
                riskReasonGiven: reason,
                academyAlerted: alerted,
                cnilNotified: notified,
                closed: closed
            ).map(\.key)
        }
        let both = ConventionClocks.securityDeadlines(
            knownAt: known,
            kind: .breach,
            risk: .likely,
            riskReasonGiven: false,
            academyAlerted: false,
            cnilNotified: false,
            closed: false
        )
        #expect(both.map(\.due) == ["2026-01-07T08:00:00Z", "2026-01-08T08:00:00Z"])
        #expect(both.map(\.article) == ["6.1", "12"])
        #expect(keys(.suspectedBreach) == ["academy", "cnil"])
        #expect(keys(.other) == ["academy"])
        #expect(keys(.breach, risk: .unlikely, reason: true) == ["academy"])
        #expect(keys(.breach, risk: .unlikely, reason: false) == ["academy", "cnil"])
        #expect(keys(.breach, alerted: true) == ["cnil"])
        #expect(keys(.breach, alerted: true, notified: true).isEmpty)
        #expect(keys(.breach, closed: true).isEmpty)
    }

    @Test("R20: after tomorrow is the future; older, the same, newer against the last import")
    func extractDates() {
        let today = day("2026-03-10")
        #expect(ExtractDateJudgement.judge(day("2026-03-12"), today: today, lastImported: nil) == .future)
        #expect(ExtractDateJudgement.judge(day("2026-03-11"), today: today, lastImported: nil) == .newer)
        #expect(ExtractDateJudgement.judge(day("2026-03-01"), today: today, lastImported: day("2026-03-02")) == .older)
        #expect(ExtractDateJudgement.judge(day("2026-03-02"), today: today, lastImported: day("2026-03-02")) == .same)
        #expect(ExtractDateJudgement.judge(day("2026-03-03"), today: today, lastImported: day("2026-03-02")) == .newer)
        #expect(ExtractDateJudgement.judge(day("2026-03-12"), today: today, lastImported: day("2026-03-02")) == .future)
    }

    @Test("the registers' vocabularies are the convention's words")
    func vocabularies() {
        #expect(
            RightsRequestKind.allCases.map(\.rawValue) == [
                "access", "rectification", "erasure", "opposition", "restriction", "post-mortem",
            ]
        )
        #expect(SecurityIncidentKind.allCases.map(\.rawValue) == ["breach", "suspected-breach", "other"])
        #expect(RiskLevel.allCases.map(\.rawValue) == ["unknown", "unlikely", "likely", "high"])
    }
}
