import AAFModel
import AAFParser
import AAFTestSupport
import Foundation
import Testing

@Suite("Hostile XML (R18)", .serialized)
struct HostileXMLTests {
    static let corpus = [
        "xxe-local-file.xml", "xxe-network.xml", "xxe-parameter-entity.xml", "billion-laughs.xml",
        "internal-subset-elements.xml", "xinclude.xml", "unknown-element.xml", "wrong-root.xml",
    ]

    @Test("every file of Fixtures/hostile is refused, nothing is loaded, nothing leaks", arguments: corpus)
    func refused(name: String) throws {
        let loadsBefore = LibXML2Setup.refusedLoads
        var records: [AAFRecord] = []
        let error = #expect(throws: ParseError.self) {
            try AAFDocumentParser.parseFile(
                atPath: Paths.fixtures.appendingPathComponent("hostile/\(name)").path,
                expectedCategory: nil,
                filter: nil
            ) { records.append($0) }
        }
        #expect(error != nil)
        #expect(LibXML2Setup.refusedLoads == loadsBefore, "libxml2 tried to load an external resource")
        let text = records.flatMap { $0.attributes.flatMap(\.values) }.joined()
        #expect(!text.contains("root:"))
        #expect(!text.contains("lollol"))
    }

    @Test("an absolute external DTD is never opened; the document itself parses")
    func externalDTD() throws {
        let loadsBefore = LibXML2Setup.refusedLoads
        var records: [AAFRecord] = []
        try AAFDocumentParser.parseFile(
            atPath: Paths.fixtures.appendingPathComponent("hostile/external-dtd-absolute.xml").path,
            expectedCategory: .pupil,
            filter: nil
        ) { records.append($0) }
        #expect(records.count == 1)
        #expect(LibXML2Setup.refusedLoads == loadsBefore)
    }

    @Test("invalid UTF-8 is an encoding error")
    func invalidUTF8() throws {
        var b = Array(document("<attr name=\"ENTPersonNom\"><value>ab\u{1}\u{1}</value></attr>").utf8)
        let i = b.firstIndex(of: 1)!
        b[i] = 0xC3
        b[i + 1] = 0x28
        let error = #expect(throws: ParseError.self) { try parse(bytes: b) }
        #expect(error?.code == .encoding)
    }

    @Test("deep nesting is refused at depth 6, long before libxml2's own limit")
    func deepNesting() throws {
        let open = String(repeating: "<value>", count: 5000)
        let text = "<?xml version=\"1.0\"?><ficAlimMENESR><addRequest><attributes><attr name=\"x\">\(open)"
        let error = #expect(throws: ParseError.self) { try parse(bytes: Array(text.utf8)) }
        #expect(error?.code == .structure)
    }

    @Test("a value over the configured size is refused; so is a 12 MB text node", arguments: [70_000, 12_000_000])
    func hugeText(size: Int) throws {
        let text = document("<attr name=\"ENTPersonNom\"><value>\(String(repeating: "A", count: size))</value></attr>")
        let error = #expect(throws: ParseError.self) { try parse(bytes: Array(text.utf8), chunk: 1 << 16) }
        #expect(error?.code == .limit || error?.code == .malformed)
    }

    @Test("truncated anywhere: refused at the end, never a crash")
    func truncatedEverywhere() throws {
        let full = Array(
            document(
                "<attr name=\"ENTPersonNom\"><value>abc</value></attr><attr name=\"ENTPersonPrenom\"><value>d</value></attr>"
            ).utf8
        )
        for cut in stride(from: 1, to: full.count - 20, by: 3) {
            #expect(throws: ParseError.self) { try parse(bytes: Array(full[0..<cut]), chunk: 5) }
        }
    }

    @Test("an empty file is refused")
    func empty() throws {
        #expect(throws: ParseError.self) { try parse(bytes: []) }
    }
}
