import AAFModel
import AAFTestSupport
import Foundation
import Testing

@testable import AAFStore

/// The stored form of attributes (ADR 0016): canonical JSON written by the parser, read by SQLite's JSON functions
/// as it is; a database of the earlier form is converted once, byte for byte what the new encoder writes.
@Suite("The stored form of attributes")
struct StoredFormTests {
    /// Values with every character the encoding must escape, and some it must not.
    let attributes = [
        AAFAttribute(name: "ENTPersonNom", values: ["D'ARTAGNAN \"le\" Gascon"]),
        AAFAttribute(name: "ENTPersonPrenom", values: ["Zoé\\", "a\tb", "ligne\nsuite\r"]),
        AAFAttribute(name: "ENTPersonAutresPrenoms", values: ["", "  "]),
        AAFAttribute(name: "ENTPersonMail", values: []),
        AAFAttribute(name: "ENTPersonCivilite", values: ["M.", "\u{1}"]),
    ]

    @Test("encode → decode is the identity on what is kept; the form is valid JSON whose values SQLite reads back")
    func roundTrip() throws {
        let encoded = AttributeCoding.encode(attributes)
        let kept = attributes.filter { $0.values.contains { !$0.isEmpty } }.map {
            AAFAttribute(name: $0.name, values: $0.values.filter { !$0.isEmpty })
        }
        #expect(AttributeCoding.decode(encoded) == kept)
        #expect(AttributeCoding.values("ENTPersonPrenom", in: encoded) == ["Zoé\\", "a\tb", "ligne\nsuite\r"])
        #expect(AttributeCoding.values("ENTPersonMail", in: encoded) == [])
        #expect(AttributeCoding.encode([]) == Array("{}".utf8))
        let json = try JSONSerialization.jsonObject(with: Data(encoded)) as? [String: [String]]
        #expect(json?["ENTPersonNom"] == ["D'ARTAGNAN \"le\" Gascon"])
        #expect(json?["ENTPersonCivilite"] == ["M.", "\u{1}"])
        let temp = TemporaryDirectory("stored-form")
        let store = try DirectoryStore(path: temp.file("aafd.sqlite3"))
        let text = String(decoding: encoded, as: UTF8.self)
        let read = try store.connection.rows(
            "SELECT json_valid(?1), json_extract(?1, '$.ENTPersonPrenom[2]'), json_extract(?1, '$.ENTPersonNom[0]')",
            [.text(text)]
        ) { [$0.text(0), $0.text(1), $0.text(2)] }
        #expect(read.first == ["1", "ligne\nsuite\r", "D'ARTAGNAN \"le\" Gascon"])
    }

    @Test(
        "every byte value at every place of strings of 0 to 24 bytes is escaped as a byte-by-byte reference does, into an array and into the parser's buffer alike"
    )
    func escapingEveryByte() {
        // The reference: the canonical escaping, one byte at a time (ADR 0016).
        func reference(_ bytes: [UInt8]) -> [UInt8] {
            var out: [UInt8] = [0x22]
            for byte in bytes {
                switch byte {
                case 0x22, 0x5C: out += [0x5C, byte]
                case 0x09: out += Array("\\t".utf8)
                case 0x0A: out += Array("\\n".utf8)
                case 0x0D: out += Array("\\r".utf8)
                case 0..<0x20: out += Array(String(format: "\\u%04x", Int(byte)).utf8)
                default: out.append(byte)
                }
            }
            return out + [0x22]
        }
        var mismatches = 0
        var buffer = ByteBuffer(capacity: 16)
        for length in 0...24 {
            let background = (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            for place in 0..<max(length, 1) {
                for value in 0...255 {
                    var bytes = background
                    if length > 0 { bytes[place] = UInt8(value) }
                    var array: [UInt8] = []
                    AttributeCoding.appendString(bytes, to: &array)
                    buffer.removeAll()
                    AttributeCoding.appendString(bytes, to: &buffer)
                    if array != reference(bytes) || buffer.array != array { mismatches += 1 }
                }
            }
        }
        #expect(mismatches == 0)
    }

    /// What an XML 1.0 value can hold: no control character but tab, line feed and carriage return.
    var xmlAttributes: [AAFAttribute] {
        attributes.map { AAFAttribute(name: $0.name, values: $0.values.filter { $0 != "\u{1}" }) }
    }

    @Test("migration 11 converts a version-10 database's rows to exactly what the encoder writes; the views agree")
    func legacyConversion() throws {
        let temp = TemporaryDirectory("stored-form-legacy")
        let path = temp.file("aafd.sqlite3")
        // A version-10 database with one pupil and one school in ADR 0004's form (0x1D, 0x1E, 0x1F).
        do {
            let connection = try database(atVersion: 10, path: path)
            func legacy(_ attributes: [AAFAttribute]) -> [UInt8] {
                attributes.filter { $0.values.contains { !$0.isEmpty } }.map { attribute in
                    Array(attribute.name.utf8) + [0x1F]
                        + Array(attribute.values.filter { !$0.isEmpty }.joined(separator: "\u{1E}").utf8)
                }.joined(separator: [0x1D]).map { $0 }
            }
            try connection.prepare(
                "INSERT INTO persons (category, jointure, attrs, first_seen, updated_on) VALUES ('Eleve', 'P1', ?1, '2026-09-01', '2026-09-01')"
            ).run([.blob(legacy(xmlAttributes))])
            try connection.prepare(
                "INSERT INTO structures (jointure, uai, attrs, first_seen, updated_on) VALUES ('S1', '0940001A', ?1, '2026-09-01', '2026-09-01')"
            ).run([.blob(legacy([AAFAttribute(name: "ENTStructureNomCourant", values: ["ÉCOLE \"A\""])]))])
            try connection.prepare(
                "INSERT INTO structures (jointure, uai, attrs, first_seen, updated_on) VALUES ('S2', NULL, ?1, '2026-09-01', '2026-09-01')"
            ).run([.blob([])])
        }
        let store = try DirectoryStore(path: path)
        let stored = try store.connection.rows("SELECT attrs, typeof(attrs) FROM persons") { ($0.blob(0), $0.text(1)) }
        #expect(stored.first?.0 == AttributeCoding.encode(xmlAttributes), "converted to the encoder's bytes")
        #expect(stored.first?.1 == "text")
        let schools = try store.connection.rows("SELECT attrs FROM structures ORDER BY jointure") { $0.text(0) }
        #expect(schools == [#"{"ENTStructureNomCourant":["ÉCOLE \"A\""]}"#, "{}"])
        // The views read it as it is; no view or trigger decodes a stored form any more.
        let people = try SQLiteShell.run(path, "SELECT category, surname, first_name FROM ent_people")
        #expect(people == "pupil|D'ARTAGNAN \"le\" Gascon|Zoé\\")
        let schema = try SQLiteShell.run(path, "SELECT group_concat(sql, ' ') FROM sqlite_master")
        #expect(
            !schema.contains("char(29)")
                && !schema.contains("WHEN 'Eleve' THEN 'pupil' WHEN 'PersEducNat' THEN 'staff' ELSE")
        )
    }
}
