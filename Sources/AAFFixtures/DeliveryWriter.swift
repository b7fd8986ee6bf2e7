import AAFModel

#if canImport(Glibc)
import Glibc
#endif

/// Writes a ``SyntheticDirectory`` as an ENT1D delivery: four categories, split into parts, in the shape
/// of the real AAF files (DOCTYPE, header comments, one attribute per line, CRLF for guardians).
///
/// Every record also carries attributes Annexe 3 does not list (INE, a pupil's e-mail, a staff member's home
/// address and phone, a guardian's birth date, a school's SI mailbox), which aafd must drop (R1–R3).
public struct DeliveryWriter {
    public var prefix = "ENT1D"
    public var mode: DeliveryMode = .complet
    /// Records per part (a new `_NNNN` file after that many).
    public var partSize = 20_000
    /// Adds the parser quirks of aaf-format.md: `&eacute;`, `&apos;`, `&amp;apos;`, `<value/>`, an empty `<attr>`.
    public var quirks = true
    /// Header `degre`.
    public var degre = "1D"

    public init() {}

    /// Writes the delivery for `date` into `folder` (which must exist); returns the file names written.
    @discardableResult
    public func write(_ directory: SyntheticDirectory, date: ExtractDate, to folder: String) throws -> [String] {
        var names: [String] = []
        names += try writeCategory(.structure, count: directory.schools.count, date: date, folder: folder) { i, out in
            school(directory.schools[i], into: &out)
        }
        names += try writeCategory(.pupil, count: directory.pupils.count, date: date, folder: folder) { i, out in
            pupil(directory.pupils[i], index: i, into: &out)
        }
        names += try writeCategory(.staff, count: directory.staff.count, date: date, folder: folder) { i, out in
            staff(directory.staff[i], index: i, into: &out)
        }
        names += try writeCategory(.guardian, count: directory.guardians.count, date: date, folder: folder) { i, out in
            guardian(directory.guardians[i], into: &out)
        }
        return names
    }

    private func writeCategory(
        _ category: AAFCategory,
        count: Int,
        date: ExtractDate,
        folder: String,
        record: (Int, inout XMLBuffer) -> Void
    ) throws -> [String] {
        var names: [String] = []
        var start = 0
        var part = 0
        repeat {
            let end = min(count, start + partSize)
            let name =
                "\(prefix)_\(mode.rawValue)_\(date.compact)_\(category.rawValue)_\(SyntheticDirectory.pad(part, 4)).xml"
            var out = try XMLBuffer(path: folder + "/" + name, crlf: category == .guardian)
            out.line("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
            out.line("<!DOCTYPE ficAlimMENESR SYSTEM \"ficAlimMENESR.dtd\">")
            out.line("<ficAlimMENESR>")
            out.line("<!-- versionAF=\"AAF-VE2407\" -->")
            out.line("<!-- degre=\"\(degre)\" -->")
            out.line(
                "<!-- dateGenerationExport=\"\(SyntheticDirectory.pad(date.day, 2))/\(SyntheticDirectory.pad(date.month, 2))/\(date.year)\" -->"
            )
            out.line("<!-- codeAcademieExport=\"24\" -->")
            for i in start..<end { record(i, &out) }
            out.line("</ficAlimMENESR>")
            try out.close()
            names.append(name)
            start = end
            part += 1
        } while start < count
        return names
    }

    private func open(_ out: inout XMLBuffer, kind: String = "addRequest", category: AAFCategory, id: String) {
        out.line("<\(kind)>")
        let op = category == .structure ? "categorieStructure" : "categoriePersonne"
        out.line(
            "<operationalAttributes><attr name=\"\(op)\"><value>\(category.rawValue)</value></attr></operationalAttributes>"
        )
        out.line("<identifier><id>\(id)</id></identifier>")
        out.line("<attributes>")
    }

    private func close(_ out: inout XMLBuffer, kind: String = "addRequest") {
        out.line("</attributes>")
        out.line("</\(kind)>")
    }

    private func school(_ s: SyntheticDirectory.School, into out: inout XMLBuffer) {
        open(&out, category: .structure, id: s.jointure)
        out.attr("ENTStructureJointure", s.jointure)
        out.attr("ENTStructureUAI", s.uai)
        out.attr("ENTStructureSIREN", "2194000\(s.jointure.suffix(7))")
        out.attr("ENTStructureNomCourant", s.name)
        out.attrs([
            ("ENTStructureTypeStruct", "ECOLE ELEMENTAIRE"), ("ENTEcoleMinistereTutelle", "EDUCATION NATIONALE"),
            ("ENTEcoleSecteur", "PU"), ("ENTEcoleCirconscription", "CRETEIL 1"), ("ENTEcoleCommune", "CRETEIL"),
            ("ENTEcoleRPI", ""), ("ENTServAcAcademie", "CRETEIL"), ("ENTStructureAdresse", "1 place de l'Ecole$$$"),
            ("ENTStructureCodePostal", "94000"), ("ENTStructureVille", "CRETEIL"),
            ("ENTStructureTelephone", "0140000000"),
        ])
        out.attr("ENTStructureEmail", "ce.\(s.uai.lowercased())@ac-creteil.example")
        // Not in Annexe 3 (R1).
        out.attr("ENTStructureMailSI", "si.\(s.uai.lowercased())@ac-creteil.example")
        out.attr("ENTStructureCodeTypeStruct", "151")
        close(&out)
    }

    private func pupil(_ p: SyntheticDirectory.Pupil, index: Int, into out: inout XMLBuffer) {
        // Choices keyed on the jointure, not the position, so that a pupil's record does not change when
        // another pupil arrives or leaves.
        let key = Int(p.jointure) ?? index
        open(&out, category: .pupil, id: p.jointure)
        out.attr("ENTPersonJointure", p.jointure)
        out.attr("ENTPersonDateNaissance", p.birthDate)
        out.attr("ENTPersonNomPatro", p.surname)
        if quirks && key % 50 == 0 {
            // An undeclared HTML entity, as entcore's feeds carried (aaf-format.md §4).
            out.raw(
                "<attr name=\"ENTPersonNom\"><value>\(XMLBuffer.escape(p.surname))-H&eacute;l&egrave;ne</value></attr>"
            )
        } else {
            out.attr("ENTPersonNom", p.surname)
        }
        out.attr("ENTPersonPrenom", p.firstName)
        out.attr("ENTPersonAutresPrenoms", p.otherFirstNames)
        out.attr("ENTPersonCivilite", p.title)
        out.attr("ENTPersonStructRattach", p.school)
        out.attr("ENTEleveAutoriteParentale", p.guardians.map { "\($0)$1$1$1$1$1" })
        out.attr("ENTEleveRestaurantScolaire", "O")
        out.attr("ENTEleveTransport", "N")
        out.attr("ENTEleveGarderieMatin", key % 3 == 0 ? "O" : "N")
        if quirks && key % 50 == 1 {
            out.raw("<attr name=\"ENTEleveGarderieSoir\"></attr>")
        } else {
            out.raw("<attr name=\"ENTEleveGarderieSoir\"><value/></attr>")
        }
        out.attr("ENTEleveEtudesSurveillees", "N")
        out.attr("ENTEleveNiveau", p.level)
        out.attr(
            "ENTEleveCycle",
            ["PS": "cycle 1", "MS": "cycle 1", "GS": "cycle 1", "CP": "cycle 2", "CE1": "cycle 2", "CE2": "cycle 2"][
                p.level
            ] ?? "cycle 3"
        )
        out.attr("ENTEleveTypeClasse", "Classe ordinaire")
        out.attr("ENTPersonClasses", "\(p.school)$\(p.level)$\(p.level)$\(p.classCode)$\(p.classLabel)")
        out.attr("ENTPersonGroupes", key % 4 == 0 ? ["\(p.school)$G$G$LV-ANG$Anglais renforcé"] : [])
        // Not in Annexe 3 (R1).
        out.attr("ENTEleveINE", p.ine)
        out.attr("ENTPersonMail", "eleve.\(p.jointure)@example.org")
        out.attr("ENTEleveDateEntreeClasses", "02/09/2025")
        close(&out)
    }

    private func staff(_ s: SyntheticDirectory.Staff, index: Int, into out: inout XMLBuffer) {
        open(&out, category: .staff, id: s.jointure)
        out.attr("ENTPersonJointure", s.jointure)
        out.attr("ENTPersonDateNaissance", s.birthDate)
        out.attr("ENTPersonNomPatro", s.surname)
        if quirks && index == 0 {
            out.raw("<attr name=\"ENTPersonNom\"><value>D&apos;\(XMLBuffer.escape(s.surname))</value></attr>")
        } else {
            out.attr("ENTPersonNom", s.surname)
        }
        out.attr("ENTPersonPrenom", s.firstName)
        out.attr("ENTPersonAutresPrenoms", [String]())
        out.attr("ENTPersonCivilite", s.title)
        out.attr("ENTPersonMail", s.mail)
        out.attr("ENTPersonStructRattach", s.school)
        if s.director {
            let label = quirks && index == 0 ? "DIRECTRICE D&amp;apos;ECOLE" : "DIRECTEUR D&apos;ECOLE"
            out.raw("<attr name=\"ENTPersonFonctions\"><value>\(s.school)$DIR$DIRECTION$D0020$\(label)</value></attr>")
            out.attr("ENTEnsFonctionDir", s.school)
        } else {
            out.attr("ENTPersonFonctions", "\(s.school)$ENS$ENSEIGNEMENT$-$SANS OBJET")
            out.attr("ENTEnsFonctionDir", [String]())
        }
        out.attr("ENTEnsSpecialites", index % 5 == 0 ? ["LANGUE ANGLAIS"] : [])
        // R2: home address, not stored without consent. R3: a phone, not stored for staff. R1: the rest.
        out.attr("ENTPersonAdresse", "\(s.homeStreet)$$$")
        out.attrs([
            ("ENTPersonCodePostal", "94100"), ("ENTPersonVille", "SAINT-MAUR"), ("ENTPersonPays", "FRANCE"),
            ("ENTPersonTelPerso", "0145000000"), ("ENTPersonCategorieEnseignant", "O"),
        ])
        close(&out)
    }

    private func guardian(_ g: SyntheticDirectory.Guardian, into out: inout XMLBuffer) {
        open(&out, category: .guardian, id: g.jointure)
        out.attr("ENTPersonJointure", g.jointure)
        out.attr("ENTPersonNomPatro", g.surname)
        out.attr("ENTPersonNom", g.surname)
        out.attr("ENTPersonPrenom", g.firstName)
        out.attr("ENTPersonAutresPrenoms", [String]())
        out.attr("ENTPersonCivilite", g.title)
        out.attr("ENTPersonAdresse", "\(g.street)$$$")
        out.attr("ENTPersonCodePostal", g.postcode)
        out.attr("ENTPersonVille", g.town)
        out.attr("ENTPersonPays", "FRANCE")
        out.attr("ENTPersonTelPerso", "0143000000")
        out.attr("ENTPersRelEleveTelMobile", g.mobile)
        out.attr("ENTPersonMail", g.mail)
        out.attr("ENTPersRelEleveTelPro", "")
        // Not in Annexe 3 (R1).
        out.attr("ENTPersonDateNaissance", "")
        out.attr("ENTPersonAdresseDiffusion", "N")
        out.attr("ENTPersRelEleveEleve", "")
        close(&out)
    }
}

/// A buffered file writer for XML text.
struct XMLBuffer {
    private var bytes: [UInt8] = []
    private let file: UnsafeMutablePointer<FILE>
    private let newline: [UInt8]

    init(path: String, crlf: Bool) throws {
        guard let f = fopen(path, "wb") else { throw FixtureError("cannot create \(path)") }
        file = f
        newline = crlf ? [13, 10] : [10]
        bytes.reserveCapacity(1 << 20)
    }

    mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        bytes.append(contentsOf: newline)
        if bytes.count > 1 << 20 { flush() }
    }

    mutating func line(_ text: String) { raw(text) }

    mutating func attr(_ name: String, _ value: String) {
        raw("<attr name=\"\(name)\"><value>\(XMLBuffer.escape(value))</value></attr>")
    }

    /// Single-valued attributes, in order.
    mutating func attrs(_ pairs: [(name: String, value: String)]) {
        for pair in pairs { attr(pair.name, pair.value) }
    }

    mutating func attr(_ name: String, _ values: [String]) {
        if values.isEmpty {
            raw("<attr name=\"\(name)\"><value/></attr>")
        } else {
            raw(
                "<attr name=\"\(name)\">" + values.map { "<value>\(XMLBuffer.escape($0))</value>" }.joined() + "</attr>"
            )
        }
    }

    static func escape(_ s: String) -> String {
        guard s.contains(where: { $0 == "&" || $0 == "<" || $0 == ">" }) else { return s }
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(c)
            }
        }
        return out
    }

    private mutating func flush() {
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        bytes.removeAll(keepingCapacity: true)
    }

    mutating func close() throws {
        flush()
        guard fclose(file) == 0 else { throw FixtureError("cannot write a fixture file") }
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}
