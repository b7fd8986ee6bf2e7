import AAFFileSystem
import AAFModel
import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How a document the convention asks for is handed over (issue 26): UTF-8 text, or an A4 PDF made by groff (a
/// small, kept Debian tool; never a browser or a web service), printed or written to a new 0600 file.
struct DocumentOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, pdf
    }

    @Option(help: "text, or pdf (A4, the commune in the header, numbered pages; needs groff).")
    var format: Format = .text

    @Option(
        name: .customLong("output"),
        help: "Write the document to this new file (0600; refused with 73 if it exists) instead of printing it."
    )
    var file: String?

    /// Prints or writes `text` in the chosen format; `title` and `header` head each PDF page.
    func emit(_ text: String, title: String, header: String, what: String) throws {
        switch format {
        case .text:
            guard let file else {
                writeOutput(text)
                return
            }
            try AnswerFile.write(Array(text.utf8), to: file, hint: "choose another --output")
            print("Wrote \(what) to \(file) (0600).")
        case .pdf:
            let pdf = try DocumentPDF.render(text, title: title, header: header)
            guard let file else {
                guard isatty(1) == 0 else {
                    throw ValidationError("a PDF is not for the terminal: add --output FILE")
                }
                FileHandle.standardOutput.write(Data(pdf))
                return
            }
            try AnswerFile.write(pdf, to: file, hint: "choose another --output")
            print("Wrote \(what) to \(file) (PDF, 0600).")
        }
    }
}

/// Text to an A4 PDF through groff's PDF output (gropdf), in groff's default safer mode. Every character of the
/// text is escaped, so nothing in it can be a troff request or escape: free text typed by an administrator stays
/// text (issue 20).
enum DocumentPDF {
    static let groff = "/usr/bin/groff"

    /// The troff source: fill mode without hyphenation, one paragraph per line of the text, indented lines kept;
    /// `header` left and `title` right on top of each page, the page number at the bottom.
    static func source(_ text: String, title: String, header: String) -> String {
        var out = """
            .pl 29.7c
            .po 2c
            .ll 17c
            .lt 17c
            .nh
            .ad l
            .ps 10
            .vs 13
            .de aafd-header
            'sp 1.2c
            .ft R
            .tl '\(escape(header))''\(escape(title))'
            .ft P
            'sp 0.8c
            ..
            .de aafd-footer
            'sp 0.6c
            .ft R
            .tl ''Page \\\\n%''
            .ft P
            'bp
            ..
            .wh 0 aafd-header
            .wh -2c aafd-footer

            """
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            if number == 0 {
                // The document's title, in bold.
                out += ".ft B\n\\&" + escape(String(line)) + "\n.br\n.ft R\n"
                continue
            }
            if line.isEmpty {
                out += ".sp 0.5\n"
                continue
            }
            let indent = line.prefix { $0 == " " }.count
            out += indent > 0 ? ".in \(indent)m\n" : ""
            out += "\\&" + escape(String(line.dropFirst(indent))) + "\n.br\n"
            out += indent > 0 ? ".in 0\n" : ""
        }
        return out
    }

    /// A troff-safe rendering of `text`: ASCII letters, digits and plain punctuation as they are, everything else
    /// as a named or Unicode character (`\[uXXXX]`).
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\[rs]"
            case "'": out += "\\[aq]"
            case "`": out += "\\[ga]"
            case "-": out += "\\[hy]"
            case "^": out += "\\[ha]"
            case "~": out += "\\[ti]"
            case "\"": out += "\\[dq]"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += "?"
            case _ where scalar.isASCII: out.unicodeScalars.append(scalar)
            default: out += String(format: "\\[u%04X]", scalar.value)
            }
        }
        return out
    }

    /// The PDF's bytes. Exit 69 when groff's PDF output is not installed.
    static func render(_ text: String, title: String, header: String) throws -> [UInt8] {
        guard FileManager.default.isExecutableFile(atPath: groff),
            FileManager.default.isExecutableFile(atPath: "/usr/bin/gropdf")
        else {
            throw CommandFailure(
                .unavailable,
                "--format pdf needs groff's PDF output: apt install --no-install-recommends groff"
            )
        }
        var template = Array("/tmp/aafd-document-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CommandFailure(.cantCreate, "cannot make a private folder") }
        let folder = String(cString: made)
        defer {
            for name in ["document.tr", "document.pdf"] { unlink(folder + "/" + name) }
            rmdir(folder)
        }
        let input = folder + "/document.tr"
        guard
            FileManager.default.createFile(
                atPath: input,
                contents: Data(source(text, title: title, header: header).utf8)
            )
        else { throw CommandFailure(.cantCreate, "cannot write \(input)") }
        let output = open(folder + "/document.pdf", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw CommandFailure(.cantCreate, "cannot write the PDF in \(folder)") }
        let status: Int32
        do {
            // Bounded: a page of text takes groff well under a second; a wedged groff is killed after a minute.
            status =
                try ChildProcess(groff, ["-Tpdf", "-dpaper=a4", "-P-pa4", input], stdout: output).wait(timeout: 60)
                ?? 137
        } catch {
            close(output)
            throw CommandFailure(.unavailable, "cannot run groff: \(error)")
        }
        close(output)
        guard status == 0, let data = FileManager.default.contents(atPath: folder + "/document.pdf"), !data.isEmpty
        else { throw CommandFailure(.failure, "groff could not make the PDF (exit \(status))") }
        return Array(data)
    }
}
