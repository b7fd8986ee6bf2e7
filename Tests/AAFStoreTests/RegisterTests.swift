import AAFModel
import AAFStore
import AAFTestSupport
import Foundation
import Testing

/// The registers in-process, each a type over the store's one connection, with fixed dates (issue 22): no test
/// here depends on today.
@Suite("The registers, in-process with fixed dates")
struct RegisterTests {
    private func store(_ name: String) throws -> (DirectoryStore, TemporaryDirectory) {
        let temp = TemporaryDirectory(name)
        return (try DirectoryStore(path: temp.file("aafd.sqlite3")), temp)
    }

    private func day(_ iso: String) -> ExtractDate { ExtractDate(iso: iso)! }

    @Test("rights requests: opened, overdue after 8 days unless forwarded, alerted once, closed; each step journaled")
    func rightsRequests() throws {
        let (store, temp) = try store("registers-requests")
        defer { withExtendedLifetime(temp) {} }
        let id = try store.requests.open(
            kind: "access",
            jointure: "P1",
            receivedOn: day("2026-03-02"),
            publisherReceivedOn: nil,
            receivedBy: "courrier",
            forwardDue: day("2026-03-10"),
            at: "2026-03-02T09:00:00Z",
            by: "dpo"
        )
        let opened = try #require(try store.requests.list(id: id).first)
        #expect(opened.kind == "access" && opened.forwardDue == day("2026-03-10") && opened.closedAt == nil)
        #expect(!opened.isOverdue(on: day("2026-03-10")) && opened.isOverdue(on: day("2026-03-11")))
        #expect(try store.requests.overdueToAlert(today: day("2026-03-11")).map(\.id) == [id])
        try store.requests.markAlerted(id)
        #expect(try store.requests.overdueToAlert(today: day("2026-03-11")).isEmpty, "alerted once")
        try store.requests.forward(id, on: day("2026-03-12"), at: "2026-03-12T09:00:00Z", by: "dpo")
        #expect(try store.requests.list(id: id).first?.isOverdue(on: day("2026-04-01")) == false)
        try store.requests.close(id, outcome: "answered", at: "2026-03-20T09:00:00Z", by: "dpo")
        #expect(try store.requests.list(openOnly: true).isEmpty)
        #expect(throws: RequestRefused.self) {
            try store.requests.close(id, outcome: "again", at: "2026-03-21T09:00:00Z", by: "dpo")
        }
        let journal = try store.adminJournal.entries(
            actions: ["request-open", "request-forward", "request-close"],
            limit: 10
        )
        #expect(journal.map(\.action) == ["request-close", "request-forward", "request-open"])
        #expect(journal.allSatisfy { $0.jointure == "P1" && $0.recordedBy == "dpo" })
    }

    @Test("a restriction restricts while open, and only while open")
    func restriction() throws {
        let (store, temp) = try store("registers-restriction")
        defer { withExtendedLifetime(temp) {} }
        let id = try store.requests.open(
            kind: "restriction",
            jointure: "P2",
            receivedOn: day("2026-05-04"),
            publisherReceivedOn: nil,
            receivedBy: "mail",
            forwardDue: day("2026-05-12"),
            at: "2026-05-04T08:00:00Z",
            by: "dpo"
        )
        #expect(try store.requests.isRestricted(jointure: "P2"))
        #expect(try !store.requests.isRestricted(jointure: "P3"))
        try store.requests.close(id, outcome: "lifted", at: "2026-05-20T08:00:00Z", by: "dpo")
        #expect(try !store.requests.isRestricted(jointure: "P2"))
    }

    @Test("run incidents: one open at a time, raised again without a second row, closed; decoded by column name")
    func runIncidents() throws {
        let (store, temp) = try store("registers-incidents")
        defer { withExtendedLifetime(temp) {} }
        #expect(try store.incidents.open() == nil)
        let (first, isNew) = try store.incidents.raise(
            outcome: "refused",
            rule: "R20",
            extractDate: day("2026-09-01"),
            reason: "incomplete",
            at: "2026-09-01T06:30:00Z"
        )
        #expect(isNew && first.outcome == "refused" && first.rule == "R20" && first.extractDate == day("2026-09-01"))
        let (again, secondIsNew) = try store.incidents.raise(
            outcome: "refused",
            rule: "R20",
            extractDate: day("2026-09-02"),
            reason: "incomplete",
            at: "2026-09-02T06:30:00Z"
        )
        #expect(!secondIsNew && again.id == first.id)
        try store.incidents.markAlerted(first.id)
        #expect(try store.incidents.open()?.alerted == true)
        let closed = try store.incidents.close(at: "2026-09-03T06:30:00Z")
        #expect(closed?.id == first.id, "the incident it closed")
        #expect(try store.incidents.open() == nil)
    }

    @Test("security incidents: the 48 h alert to the académie and the 72 h CNIL clock run from the time it was known")
    func securityIncidents() throws {
        let (store, temp) = try store("registers-security")
        defer { withExtendedLifetime(temp) {} }
        let id = try store.securityIncidents.declare(
            kind: "breach",
            knownAt: "2026-10-05T10:00:00Z",
            nature: "lost laptop",
            at: "2026-10-05T11:00:00Z",
            by: "dpo"
        )
        let known = try #require(Timestamp.date("2026-10-05T10:00:00Z"))
        #expect(try store.securityIncidents.deadlinesToAlert(now: known.addingTimeInterval(47 * 3600)).isEmpty)
        let due = try store.securityIncidents.deadlinesToAlert(now: known.addingTimeInterval(49 * 3600))
        #expect(due.map(\.0.id) == [id] && !due.isEmpty)
        for (_, deadline) in due { try store.securityIncidents.markDeadlineAlerted(id, deadline.key) }
        #expect(
            try store.securityIncidents.deadlinesToAlert(now: known.addingTimeInterval(49 * 3600)).isEmpty,
            "each deadline alerted once"
        )
        try store.securityIncidents.update(
            id,
            fields: ["academy_alerted_at": "2026-10-05T12:00:00Z"],
            at: "2026-10-05T12:00:00Z",
            by: "dpo"
        )
        #expect(try store.securityIncidents.incident(id).academyAlertedAt == "2026-10-05T12:00:00Z")
        try store.securityIncidents.close(id, at: "2026-10-09T12:00:00Z", by: "dpo")
        #expect(try store.securityIncidents.incident(id).openDeadlines().isEmpty)
    }

    @Test("the settings record: first record journaled as recorded, a change names the keys that changed")
    func settingsRecord() throws {
        let (store, temp) = try store("registers-settings")
        defer { withExtendedLifetime(temp) {} }
        #expect(try store.settingsRecord.record(#"{"a":"1","b":"2"}"#, hash: "h1", at: "2026-01-01T00:00:00Z").isEmpty)
        #expect(try store.settingsRecord.record(#"{"a":"1","b":"2"}"#, hash: "h1", at: "2026-01-02T00:00:00Z").isEmpty)
        let changed = try store.settingsRecord.record(#"{"a":"1","b":"3"}"#, hash: "h2", at: "2026-01-03T00:00:00Z")
        #expect(changed == ["b"])
        let journal = try store.adminJournal.entries(actions: ["settings-recorded", "settings-changed"], limit: 5)
        #expect(journal.map(\.action) == ["settings-changed", "settings-recorded"])
        #expect(journal.allSatisfy { $0.detail?.contains("3") != true }, "values stay out of the journal")
    }

    @Test("the admin journal records a read with its own transaction; the census is empty before any import")
    func journalAndCensus() throws {
        let (store, temp) = try store("registers-journal")
        defer { withExtendedLifetime(temp) {} }
        try store.adminJournal.recordRead(
            "read-person",
            jointure: "P9",
            by: "mairie",
            at: "2026-02-02T10:00:00Z",
            detail: "request 3"
        )
        try store.adminJournal.recordExport(
            detail: "jsonl; 0 records",
            recordedBy: "mairie",
            at: "2026-02-02T10:01:00Z"
        )
        let reads = try store.adminJournal.entries(actions: AdminJournal.readActions, limit: 5)
        #expect(reads.map(\.action) == ["export", "read-person"])
        #expect(reads.last?.jointure == "P9" && reads.first?.jointure == nil)
        #expect(try store.census.atOrBefore("2026-12-31T00:00:00Z") == nil)
        #expect(try store.changeFeed.window().current == 0)
    }
}
