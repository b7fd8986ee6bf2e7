import AAFModel
internal import CLibXML2

#if canImport(Glibc)
import Glibc
#endif

// Header comments, entity declarations, libxml2's errors mapped to ParseError, names fit for a report (R15).
extension SAXState {

    func comment(_ text: UnsafePointer<xmlChar>) {
        guard stack.count == 1, !sawRequest, failure == nil else { return }
        // key="value" pairs; unknown keys are kept, nothing is required.
        let body = String(cString: text)
        var rest = Substring(body)
        while let eq = rest.firstIndex(of: "=") {
            let key = rest[..<eq].trimmingSpaces()
            var after = rest[rest.index(after: eq)...].drop(while: { $0 == " " })
            guard after.first == "\"" else { break }
            after = after.dropFirst()
            guard let close = after.firstIndex(of: "\"") else { break }
            if !key.isEmpty, key.count <= 64, key.allSatisfy({ $0.isLetter || $0.isNumber }) {
                if header.fields[String(key)] == nil, header.fields.count >= limits.maxHeaderFields {
                    return fail(
                        .limit,
                        "the header comments hold more than \(limits.maxHeaderFields) keys (limit maxHeaderFields): no AAF file has as many"
                    )
                }
                header.fields[String(key)] = String(after[..<close].prefix(128))
            }
            rest = after[after.index(after: close)...]
        }
    }

    /// R15: only names of the AAF vocabulary reach an output; any other is counted under one placeholder.
    static func reportableName(_ name: String) -> String { AAFVocabulary.reportable(name) }

    func safeName(_ pointer: UnsafePointer<xmlChar>) -> String {
        SAXState.reportableName(String(cString: pointer))
    }

    func safeName(_ name: String) -> String { SAXState.reportableName(name) }

    func equals(_ pointer: UnsafePointer<xmlChar>, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        let lhs = UnsafeRawPointer(pointer)
        return memcmp(lhs, literal.utf8Start, count) == 0 && pointer[count] == 0
    }

    func structuredError(_ error: xmlErrorPtr) {
        let e = error.pointee
        guard e.level.rawValue >= XML_ERR_ERROR.rawValue, failure == nil else { return }
        let code = Int(e.code)
        let kind: ParseError.Code
        let what: String
        switch code {
        case Int(XML_ERR_UNDECLARED_ENTITY.rawValue), Int(XML_WAR_UNDECLARED_ENTITY.rawValue):
            // The entity's name comes from the file: not quoted (R15).
            kind = .entity
            what = "an undeclared entity (neither an XML nor an HTML named entity); ask the academy to fix the extract"
        case Int(XML_ERR_INVALID_ENCODING.rawValue), Int(XML_ERR_INVALID_CHAR.rawValue),
            Int(XML_ERR_UNKNOWN_ENCODING.rawValue), Int(XML_ERR_UNSUPPORTED_ENCODING.rawValue),
            Int(XML_ERR_INVALID_CHARREF.rawValue):
            kind = .encoding
            what = "bytes that are not valid in the file's encoding (declared, or UTF-8 when none is declared)"
        case Int(XML_ERR_DOCUMENT_EMPTY.rawValue):
            kind = .malformed
            what = "the file is empty"
        case Int(XML_ERR_TAG_NAME_MISMATCH.rawValue):
            kind = .malformed
            what = "an end tag does not match its start tag"
        case Int(XML_ERR_DOCUMENT_END.rawValue):
            kind = .malformed
            what = "content after the end of the document"
        case Int(XML_ERR_TAG_NOT_FINISHED.rawValue), Int(XML_ERR_LTSLASH_REQUIRED.rawValue),
            Int(XML_ERR_GT_REQUIRED.rawValue):
            kind = .malformed
            what = "the document ends before its elements are closed (truncated file?)"
        case Int(XML_ERR_ENTITY_LOOP.rawValue), Int(XML_ERR_ENTITY_PE_INTERNAL.rawValue):
            kind = .entity
            what = "entity expansion refused"
        case Int(XML_ERR_INTERNAL_ERROR.rawValue) where failure == nil:
            kind = .limit
            what = "libxml2 refused the document (internal limit)"
        default:
            kind = .malformed
            what = "not well-formed XML"
        }
        failure = ParseError(
            code: kind,
            file: fileName,
            line: Int(e.line),
            column: Int(e.int2),
            message: "\(what) (libxml2 error \(code)); the file is refused and nothing is imported",
            xmlCode: code
        )
        if let ctxt { xmlStopParser(ctxt) }
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
