import AAFModel
import Foundation

/// The convention's deadlines, as pure functions of the facts and a date (issue 22): the commands and the store
/// ask here, and the tests check each rule with fixed dates, whatever today is.
public enum ConventionClocks {
    /// The commune forwards a request to the académie "au plus tard 8 jours après la réception" (art. 7): the
    /// eighth day, or the last working day before it when it is a weekend or a public holiday.
    public static func forwardDue(receivedOn: ExtractDate) -> ExtractDate {
        receivedOn.adding(days: 8).workingDayOnOrBefore
    }

    /// The publisher forwards requests it receives "au plus tard dans les trois [jours] ouvrés" (art. 6.3).
    public static func publisherDue(publisherReceivedOn: ExtractDate) -> ExtractDate {
        publisherReceivedOn.addingWorkingDays(3)
    }

    /// A security incident's open clocks, from when the commune learnt of it: the académie alerted within 48 hours
    /// (art. 6.1, every kind); the CNIL notified within 72 hours (art. 12, GDPR art. 33) for a breach or a suspected
    /// one, unless the risk is documented as unlikely (with a reason). A deadline met, or not applicable, is left out;
    /// a closed incident has none.
    public static func securityDeadlines(
        knownAt: Date,
        kind: SecurityIncidentKind?,
        risk: RiskLevel?,
        riskReasonGiven: Bool,
        academyAlerted: Bool,
        cnilNotified: Bool,
        closed: Bool
    ) -> [SecurityDeadline] {
        guard !closed else { return [] }
        var result: [SecurityDeadline] = []
        if !academyAlerted {
            result.append(
                SecurityDeadline(
                    key: "academy",
                    what: "alerting the académie (alerte-ssi, the IEN)",
                    due: Timestamp.string(knownAt.addingTimeInterval(48 * 3600)),
                    article: "6.1"
                )
            )
        }
        if !cnilNotified, kind != .other, !(risk == .unlikely && riskReasonGiven) {
            result.append(
                SecurityDeadline(
                    key: "cnil",
                    what: "notifying the CNIL (through the académie's DPO)",
                    due: Timestamp.string(knownAt.addingTimeInterval(72 * 3600)),
                    article: "12"
                )
            )
        }
        return result
    }
}

/// R20, one judgement for the fetch and the import: where an extract date stands against today and the last
/// imported one. One day of margin for time zones: after tomorrow is a wrong date, not a delivery.
public enum ExtractDateJudgement: Sendable, Equatable {
    /// Dated after tomorrow: refused, neither downloaded nor deleted.
    case future
    /// Older than the last imported delivery: refused, so that older data never overwrites newer.
    case older
    /// The same date as the last imported one: the fetch leaves it on the server; an import (a re-import by hand)
    /// may take it.
    case same
    /// Newer: to import.
    case newer

    public static func judge(_ date: ExtractDate, today: ExtractDate, lastImported: ExtractDate?) -> Self {
        if date > today.adding(days: 1) { return .future }
        guard let last = lastImported else { return .newer }
        if date < last { return .older }
        return date == last ? .same : .newer
    }
}
