import AAFModel
import AAFTestSupport
import Foundation
import Testing

@testable import AAFStore

/// Rows decoded by column name (issue 22): the registers' values come from named columns; a missing column is an
/// error, a NULL fills only an optional, a malformed date is refused — never a silent default.
@Suite("Rows decoded by column name")
struct RowDecoderTests {
    struct Sample: Decodable, Equatable {
        var id: Int
        var day: ExtractDate
        @NullEncoded var note: String?
        var done: Bool
    }

    @Test("by name, in any column order; NULL into an optional; missing column, NULL or bad date: an error")
    func decoding() throws {
        let folder = TemporaryDirectory("row-decoder")
        let store = try DirectoryStore(path: folder.file("aafd.sqlite3"))
        let rows = try store.connection.decoded(
            Sample.self,
            "SELECT 0 AS done, NULL AS note, '2026-03-10' AS day, 7 AS id UNION ALL SELECT 1, 'x', '2026-03-11', 8"
        )
        #expect(rows.map(\.id) == [7, 8])
        #expect(rows[0].note == nil && rows[1].note == "x" && !rows[0].done && rows[1].done)
        #expect(rows[1].day == ExtractDate(iso: "2026-03-11"))
        #expect(throws: DecodingError.self) {
            try store.connection.decoded(Sample.self, "SELECT 1 AS id, '2026-03-10' AS day, 0 AS done")
        }
        #expect(throws: DecodingError.self) {
            try store.connection.decoded(Sample.self, "SELECT 1 AS id, NULL AS day, NULL AS note, 0 AS done")
        }
        #expect(throws: DecodingError.self) {
            try store.connection.decoded(Sample.self, "SELECT 1 AS id, '10/03/2026' AS day, NULL AS note, 0 AS done")
        }
    }
}
