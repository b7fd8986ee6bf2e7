import AAFFixtures
import AAFModel
import AAFParser
import AAFTestSupport
import Foundation
import Testing

/// Keeps only the names given; counts nothing itself (the parser counts drops).
struct KeepOnly: AttributeFilter {
    var names: Set<String>
    func keeps(_ name: String, category: AAFCategory, jointure: String) -> Bool { names.contains(name) }
}

@Suite("Parser behaviour")
struct ParserBehaviourTests {
    @Test("multi-valued attributes keep their order; <value/> and <attr></attr> are empty")
    func values() throws {
        let records = try parse(
            document(
                """
                <attr name="ENTPersonJointure"><value>1</value></attr>
                <attr name="ENTPersonAutresPrenoms"><value>Lina</value><value>Rose</value><value>Ada</value></attr>
                <attr name="ENTEleveGarderieSoir"><value/></attr>
                <attr name="ENTElevePere"></attr>
                <attr name="ENTPersonNom"><value>1ERE  GENERALE</value></attr>
                """
            )
        )
        let r = try #require(records.first)
        #expect(r.values("ENTPersonAutresPrenoms") == ["Lina", "Rose", "Ada"])
        #expect(r.values("ENTEleveGarderieSoir") == [])
        #expect(!r.attributes.map(\.name).contains("ENTEleveGarderieSoir"))
        #expect(r.values("ENTElevePere") == [])
        #expect(r.first("ENTPersonNom") == "1ERE  GENERALE")
    }

    @Test("undeclared HTML entities are decoded, with and without a DOCTYPE")
    func htmlEntities() throws {
        let attrs = "<attr name=\"ENTPersonNom\"><value>H&eacute;l&egrave;ne&nbsp;&Ccedil;a &amp; co</value></attr>"
        for prolog in [
            "<?xml version=\"1.0\"?>\n<!DOCTYPE ficAlimMENESR SYSTEM \"ficAlimMENESR.dtd\">", "<?xml version=\"1.0\"?>",
            "",
        ] {
            let r = try #require(try parse(document(attrs, prolog: prolog)).first)
            #expect(r.first("ENTPersonNom") == "Hélène\u{A0}Ça & co")
        }
        #expect(LibXML2Setup.htmlEntityCount >= 248)
    }

    @Test("an entity that is neither XML nor HTML is an error that does not quote it (R15)")
    func unknownEntity() throws {
        let error = #expect(throws: ParseError.self) {
            try parse(document("<attr name=\"ENTPersonNom\"><value>a&bogus;b</value></attr>"))
        }
        #expect(error?.code == .entity)
        #expect(error?.message.contains("bogus") == false)
        #expect(error?.message.contains("undeclared entity") == true)
    }

    @Test("a literal &apos; left by double escaping becomes ' and is counted")
    func apostrophe() throws {
        let parser = AAFDocumentParser(fileName: "t.xml", expectedCategory: nil, filter: nil)
        var records: [AAFRecord] = []
        try parser.feed(
            Array(
                document("<attr name=\"ENTPersonNom\"><value>CHEF D&amp;apos;ETABLISSEMENT D&apos;ECOLE</value></attr>")
                    .utf8
            )
        ) {
            records.append($0)
        }
        try parser.finish { records.append($0) }
        #expect(records.first?.first("ENTPersonNom") == "CHEF D'ETABLISSEMENT D'ECOLE")
        #expect(parser.statistics.normalisedApostrophes == 1)
    }

    @Test("ISO-8859-15 and ISO-8859-1 bytes are decoded per the declaration; CRLF becomes LF")
    func latinBytes() throws {
        func bytes(_ encoding: String) -> [UInt8] {
            let head = Array("<?xml version=\"1.0\" encoding=\"\(encoding)\"?>\r\n".utf8)
            let body = document("<attr name=\"ENTPersonNom\"><value>caf\u{1}\u{2}</value></attr>", prolog: "")
                .replacingOccurrences(of: "\n", with: "\r\n")
            var b = head + Array(body.utf8)
            // \u{1}\u{2} → 0xE9 0xA4
            if let i = b.firstIndex(of: 1) {
                b[i] = 0xE9
                b[i + 1] = 0xA4
            }
            return b
        }
        for chunk in [7, 4096] {
            #expect(try parse(bytes: bytes("ISO-8859-15"), chunk: chunk).first?.first("ENTPersonNom") == "café€")
            #expect(try parse(bytes: bytes("ISO-8859-1"), chunk: chunk).first?.first("ENTPersonNom") == "café¤")
        }
    }

    @Test("Latin-1 bytes with no declaration are refused as an encoding error")
    func undeclaredLatin1() throws {
        var b = Array(document("<attr name=\"ENTPersonNom\"><value>caf\u{1}</value></attr>", prolog: "").utf8)
        b[b.firstIndex(of: 1)!] = 0xE9
        let error = #expect(throws: ParseError.self) { try parse(bytes: b) }
        #expect(error?.code == .encoding)
    }

    @Test("the allow-list drops attributes before decoding them, and counts them by name (R1)")
    func allowList() throws {
        let parser = AAFDocumentParser(
            fileName: "t.xml",
            expectedCategory: .pupil,
            filter: KeepOnly(names: ["ENTPersonNom"])
        )
        var records: [AAFRecord] = []
        let text = document(
            """
            <attr name="ENTPersonJointure"><value>1</value></attr><attr name="ENTPersonNom"><value>KEPT</value></attr>
            <attr name="ENTEleveINE"><value>SENTINEL-INE</value></attr><attr name="ENTEleveINE"><value>X</value></attr>
            """
        )
        try parser.feed(Array(text.utf8)) { records.append($0) }
        try parser.finish { records.append($0) }
        let r = try #require(records.first)
        #expect(r.attributes.map(\.name) == ["ENTPersonNom"])
        // The second ENTEleveINE is a repeated <attr>: counted as a repeat (first wins), not as a second drop.
        #expect(parser.statistics.droppedAttributes == ["ENTEleveINE": 1, "ENTPersonJointure": 1])
        #expect(parser.statistics.repeatedAttributes == ["ENTEleveINE": 1])
    }

    @Test("header comments: key=value pairs before the first request; unknown keys kept; none is fine")
    func header() throws {
        let parser = AAFDocumentParser(fileName: "t.xml", expectedCategory: nil, filter: nil)
        let text = document("<attr name=\"ENTPersonJointure\"><value>1</value></attr>")
            .replacingOccurrences(
                of: "<ficAlimMENESR>",
                with:
                    "<ficAlimMENESR>\n<!-- degre=\"1D\" -->\n<!-- dateGenerationExport=\"16/09/2024\" -->\n<!-- futureKey=\"x\" -->"
            )
        try parser.feed(Array(text.utf8)) { _ in }
        try parser.finish { _ in }
        #expect(parser.header.degre == "1D")
        #expect(parser.header.generationDate == ExtractDate(year: 2024, month: 9, day: 16))
        #expect(parser.header.fields["futureKey"] == "x")
    }

    @Test("a record whose category differs from the file's fails the file")
    func categoryMismatch() throws {
        let error = #expect(throws: ParseError.self) {
            try parse(
                text: document("<attr name=\"ENTPersonJointure\"><value>1</value></attr>", category: "PersEducNat"),
                category: .pupil
            )
        }
        #expect(error?.code == .category)
    }

    @Test("ENTPersonJointure must equal identifier/id")
    func jointureMismatch() throws {
        let error = #expect(throws: ParseError.self) {
            try parse(document("<attr name=\"ENTPersonJointure\"><value>2</value></attr>", id: "1"))
        }
        #expect(error?.code == .structure)
    }

    @Test("errors never quote a value from the file (R15)")
    func noValueInErrors() throws {
        let cases = [
            document("<attr name=\"ENTPersonNom\"><value>SENTINELNAME</value></attr><unknown>SENTINELNAME</unknown>"),
            document("<attr name=\"ENTPersonNom\"><value>SENTINELNAME</valeur></attr>"),
            document("<attr name=\"ENTPersonNom\"><value>SENTINELNAME&SENTINELNAME;</value></attr>"),
            document("<attr name=\"ENTPersonJointure\"><value>SENTINELNAME</value></attr>"),
        ]
        for text in cases {
            let error = #expect(throws: ParseError.self) { try parse(text) }
            #expect(error?.description.contains("SENTINELNAME") == false)
        }
    }
}

@Suite("Chunk sizes")
struct ChunkSizeTests {
    /// A synthetic file with every quirk, and two real samples.
    static let files: [String] = {
        let dir = TemporaryDirectory("chunks")
        var writer = DeliveryWriter()
        writer.partSize = 1000
        let names = try! writer.write(
            SyntheticDirectory.generate(schools: 2, pupils: 30, seed: 7),
            date: ExtractDate(year: 2025, month: 9, day: 1)!,
            to: dir.path
        )
        // Keep the folder alive for the whole run.
        keep.append(dir)
        var files = names.map { dir.file($0) }
        for sample in [
            "edificeio-entcore/aaf/test/ENT_Complet_20200101_EtabEducNat_0000.xml",
            "edificeio-springboard-plugin/aaf-duplicates-test/ENT_Complet_PersRelEleve_0000.xml",
        ] where FileManager.default.fileExists(atPath: Paths.sample(sample)) {
            files.append(Paths.sample(sample))
        }
        return files
    }()
    nonisolated(unsafe) static var keep: [TemporaryDirectory] = []

    @Test("1, 7, 4096 bytes and whole-file chunks yield identical records", arguments: [1, 7, 4096])
    func identical(chunk: Int) throws {
        for file in Self.files {
            let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: file)))
            let whole = try parse(bytes: bytes, chunk: bytes.count)
            let chunked = try parse(bytes: bytes, chunk: chunk)
            #expect(!whole.isEmpty)
            #expect(chunked == whole, "\(file) at chunk size \(chunk)")
        }
    }
}

@Suite("Markup guard (issue 10: no quadratic start tags)")
struct MarkupGuardTests {
    func parse(_ text: String, limit: Int, chunk: Int) throws -> Int {
        var limits = ParserLimits()
        limits.maxMarkupBytes = limit
        let parser = AAFDocumentParser(fileName: "t.xml", expectedCategory: nil, filter: nil, limits: limits)
        var records = 0
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            try parser.feed(Array(bytes[offset..<end])) { _ in records += 1 }
            offset = end
        }
        try parser.finish { _ in records += 1 }
        return records
    }

    @Test(
        "within the limit: parsed the same in chunks of 1, 7 and 4096 bytes; quotes hide '>'; comments end at '-->'",
        arguments: [1, 7, 4096]
    )
    func withinLimit(chunk: Int) throws {
        let text = document(
            "<attr name=\"ENTPersonNom\"><value>a &gt; b</value></attr>",
            prolog: "<?xml version=\"1.0\"?>\n<!-- k=\"v->-\" -->"
        )
        #expect(try parse(text, limit: 200, chunk: chunk) == 1)
    }

    @Test(
        "a tag, a quoted value with '>' inside it, or a comment past the limit: refused in any chunking",
        arguments: [1, 7, 4096]
    )
    func pastLimit(chunk: Int) throws {
        let longTag = document(
            "<attr name=\"ENTPersonNom\"><value " + (0..<40).map { "a\($0)=\">>\"" }.joined(separator: " ")
                + ">x</value></attr>"
        )
        let longComment = document(
            "<attr name=\"ENTPersonNom\"><value>x</value></attr>",
            prolog: "<!-- " + String(repeating: "- > ", count: 100) + " -->"
        )
        for text in [longTag, longComment] {
            let error = #expect(throws: ParseError.self) { try parse(text, limit: 200, chunk: chunk) }
            #expect(error?.code == .limit)
        }
    }

    @Test(
        "a tag of exactly the limit passes and one byte more is refused, in every chunking: with a quoted `>` inside, and followed at once by the next '<' (where the guard jumps from '<' to '<')",
        arguments: [1, 3, 8, 4096]
    )
    func exactLimit(chunk: Int) throws {
        for (end, after) in [("\" j='abcdefgh>ijklmnop>'>", "a"), ("\">", "")] {
            for padding in 200..<217 {
                let tag = "<value k=\"" + String(repeating: "x", count: padding) + end
                let text = document("<attr name=\"ENTPersonNom\">" + tag + after + "</value></attr>")
                let length = tag.utf8.count
                let error = #expect(throws: ParseError.self) { try parse(text, limit: length - 1, chunk: chunk) }
                #expect(error?.code == .limit, "tag of \(length) bytes, limit \(length - 1)")
                #expect(try parse(text, limit: length, chunk: chunk) == 1, "tag of \(length) bytes, limit \(length)")
            }
        }
    }

    @Test(
        "a start tag of 100,000 attributes with a '<' inside a value every 20 attributes: refused at once in any chunking",
        arguments: [1, 4096, 1 << 20]
    )
    func lessThanInsideATag(chunk: Int) throws {
        // Each stretch between two '<' is within the limit, so the guard jumps over it; libxml2 refuses the first
        // '<' inside a value and reads no further (without the '<', this tag takes libxml2 seconds: quadratic).
        let attributes = (0..<100_000).map { "a\($0)=\"\($0 % 20 == 19 ? "<" : "")\"" }.joined(separator: " ")
        let text = document("<attr name=\"ENTPersonNom\"><value " + attributes + ">x</value></attr>")
        let started = ContinuousClock.now
        #expect(throws: ParseError.self) { try parse(text, limit: 4096, chunk: chunk) }
        #expect(ContinuousClock.now - started < .seconds(2), "the refusal read the whole tag")
    }
}

@Suite(
    "Parser memory",
    .enabled(
        if: ProcessInfo.processInfo.environment["AAFD_SANITIZER"] == nil,
        "AddressSanitizer's quarantine keeps freed memory resident"
    )
)
struct ParserMemoryTests {
    func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    @Test(
        "refusing thousands of files that declare an internal subset does not grow memory (libxml2's myDoc leaked per file)"
    )
    func noLeakPerFile() throws {
        let text = Array(
            document(
                "<attr name=\"ENTPersonNom\"><value>x</value></attr>",
                prolog: "<?xml version=\"1.0\"?>\n<!DOCTYPE ficAlimMENESR [ <!ENTITY a \"b\"> ]>"
            )
            .utf8
        )
        for _ in 0..<200 { _ = try? parse(bytes: text) }
        let before = residentBytes()
        for _ in 0..<5000 { _ = try? parse(bytes: text) }
        let grown = residentBytes() - before
        #expect(grown < 16 << 20, "resident memory grew by \(grown >> 20) MiB over 5,000 files")
    }
}
