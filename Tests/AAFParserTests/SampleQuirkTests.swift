import AAFModel
import AAFParser
import AAFTestSupport
import Foundation
import Testing

/// What the public samples (../shared/aaf-samples) exercise, reproduced by the project's own documents (issue 21):
/// a clone without ../shared asserts the same behaviour. Each test names the sample it stands for.
@Suite("The public samples' quirks, reproduced by the project's fixtures")
struct SampleQuirkTests {
    static let prolog = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

    static func request(_ kind: String, _ category: String, _ id: String, _ body: String) -> String {
        "<\(kind)><operationalAttributes><attr name=\"categoriePersonne\"><value>\(category)</value></attr>"
            + "</operationalAttributes>\n<identifier><id>\(id)</id></identifier>\n\(body)</\(kind)>\n"
    }

    static func attributes(_ id: String, _ extra: String = "") -> String {
        "<attributes><attr name=\"ENTPersonJointure\"><value>\(id)</value></attr>\(extra)</attributes>\n"
    }

    static func modifications(_ id: String, city: String) -> String {
        "<modifications>\n<modification name=\"ENTPersonJointure\" operation=\"replace\"><value>\(id)</value></modification>\n"
            + "<modification name=\"ENTPersonVille\" operation=\"replace\"><value>\(city)</value></modification>\n"
            + "</modifications>\n"
    }

    @Test("Delta add, full-replace modify, delete, in order (FULL_ENTTSSERVICES_Delta_20130122_PersRelEleve_0000)")
    func deltaKinds() throws {
        let text =
            Self.prolog + "<ficAlimMENESR>\n"
            + Self.request("addRequest", "PersRelEleve", "1985041", Self.attributes("1985041"))
            + Self.request("modifyRequest", "PersRelEleve", "1985043", Self.modifications("1985043", city: "LES ULIS"))
            + Self.request("deleteRequest", "PersRelEleve", "1985050", "")
            + "</ficAlimMENESR>\n"
        let records = try parse(text: text, category: .guardian)
        #expect(records.map(\.kind) == [.add, .modify, .delete])
        #expect(records.map(\.jointure) == ["1985041", "1985043", "1985050"])
        #expect(records[1].first("ENTPersonVille") == "LES ULIS")
        #expect(records[2].attributes.isEmpty)
    }

    @Test("guardian parts with CRLF line ends and empty birth dates (the 2013 set's 40 PersRelEleve parts)")
    func crlfGuardians() throws {
        var text = Self.prolog + "<ficAlimMENESR>\n"
        for i in 0..<5 {
            let id = String(1_985_000 + i)
            text += Self.request(
                "addRequest",
                "PersRelEleve",
                id,
                Self.attributes(id, "<attr name=\"ENTPersonDateNaissance\"><value/></attr>")
            )
        }
        text += "</ficAlimMENESR>\n"
        let records = try parse(text: text.replacingOccurrences(of: "\n", with: "\r\n"), category: .guardian)
        #expect(records.count == 5)
        #expect(records.allSatisfy { $0.category == .guardian && !$0.jointure.contains("\r") })
    }

    @Test("a malformed Delta file (mismatched tag) is refused with its file name and line (the two 2013 Delta files)")
    func malformedDelta() throws {
        var text = Self.prolog + "<ficAlimMENESR>\n"
        for i in 0..<4 {
            let id = String(4_100_000 + i)
            text += Self.request("addRequest", "Eleve", id, Self.attributes(id))
        }
        text += "<addRequest><identifier><id>1</id></identifier></addRequests>\n</ficAlimMENESR>\n"
        let parser = AAFDocumentParser(
            fileName: "X_Delta_20130122_Eleve_0000.xml",
            expectedCategory: .pupil,
            filter: nil
        )
        let error = #expect(throws: ParseError.self) {
            try parser.feed(Array(text.utf8)) { _ in }
            try parser.finish { _ in }
        }
        #expect(error?.code == .malformed)
        #expect(error?.file == "X_Delta_20130122_Eleve_0000.xml")
        let before = text[..<text.range(of: "</addRequests>")!.lowerBound]
        let expectedLine = before.filter { $0 == "\n" }.count + 1
        #expect(error?.line == expectedLine)
    }

    @Test(
        "an unclosed root: a second <ficAlimMENESR> instead of the closing tag is refused (utest/file_EtabEducNat_test)"
    )
    func unclosed() throws {
        let text =
            Self.prolog + "<ficAlimMENESR>\n"
            + Self.request("addRequest", "EtabEducNat", "0750001A", Self.attributes("0750001A"))
            + "<ficAlimMENESR>\n"
        let parser = AAFDocumentParser(fileName: "file_EtabEducNat_test.xml", expectedCategory: .structure, filter: nil)
        let error = #expect(throws: ParseError.self) {
            try parser.feed(Array(text.utf8)) { _ in }
            try parser.finish { _ in }
        }
        #expect(error?.file == "file_EtabEducNat_test.xml")
    }

    @Test("ISO-8859-1 declared, with &#233; and raw Latin-1 bytes: decoded to UTF-8 (utest/file_Eleve_test)")
    func latin1() throws {
        let text =
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<ficAlimMENESR>\n"
            + Self.request(
                "addRequest",
                "Eleve",
                "4100001",
                Self.attributes("4100001", "<attr name=\"givenName\"><value>H&#233;l\u{E8}ne</value></attr>")
            ) + "</ficAlimMENESR>\n"
        let bytes = text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }  // Latin-1: one byte each
        let records = try parse(bytes: bytes, category: .pupil)
        #expect(records.first?.first("givenName") == "Hélène")
    }

    @Test("header comments before the first request (ENT2DVA-ENT16_Complet_20240916_EtabEducNat_0000)")
    func headerComments() throws {
        let text =
            Self.prolog + "<!DOCTYPE ficAlimMENESR SYSTEM \"ficAlimMENESR.dtd\">\n<ficAlimMENESR>\n"
            + "<!-- versionAF=\"AAF-VE2407\" -->\n<!-- versionSDET=\"Annexe 4bis version 6.4\" -->\n"
            + "<!-- codeAcademieExport=\"13\" -->\n<!-- degre=\"2D\" -->\n<!-- dateGenerationExport=\"16/09/2024\" -->\n"
            + Self.request("addRequest", "EtabEducNat", "0750001A", Self.attributes("0750001A")) + "</ficAlimMENESR>\n"
        let parser = AAFDocumentParser(fileName: "h.xml", expectedCategory: .structure, filter: nil)
        try parser.feed(Array(text.utf8)) { _ in }
        try parser.finish { _ in }
        #expect(parser.header.degre == "2D")
        #expect(parser.header.generationDate == ExtractDate(year: 2024, month: 9, day: 16))
        #expect(parser.header.versionAF != nil)
        #expect(parser.header.fields["codeAcademieExport"] != nil)
    }

    @Test("a 2nd-degree-only category (MatiereEducNat) is refused in a typed parse (the 2013 set)")
    func secondDegreeCategory() throws {
        let text =
            Self.prolog + "<ficAlimMENESR>\n"
            + Self.request("addRequest", "MatiereEducNat", "001", Self.attributes("001")) + "</ficAlimMENESR>\n"
        let error = #expect(throws: ParseError.self) { try parse(text: text, category: .pupil) }
        #expect(error?.code == .category)
    }
}
