import AAFModel
internal import CLibXML2

#if canImport(Glibc)
import Glibc
#endif

// MARK: - SAX state

/// What the SAX callbacks share. Lives as long as its ``AAFDocumentParser``; used from one thread.
final class SAXState {
    enum Element: UInt8 {
        case root, request, operational, identifier, attributes, modifications, attr, id, modification, value
    }

    let fileName: String
    let expectedCategory: AAFCategory?
    let filter: (any AttributeFilter)?
    let hasFilter: Bool
    let limits: ParserLimits
    var ctxt: xmlParserCtxtPtr?

    var failure: ParseError?
    var header = DocumentHeader()
    var sawRoot = false
    var sawRequest = false
    var stack: [Element] = []
    /// Where finished records go: set by `push` for the duration of one `xmlParseChunk`.
    var sink: ((AAFRecord) throws -> Void)?
    /// The first error the sink threw; the parser is stopped and `push` rethrows it.
    var sinkError: (any Error)?
    var stats = ParseStatistics()
    var names = NameTable()

    // Current request.
    var kind: RequestKind = .add
    var recordCategory: AAFCategory?
    var recordCategoryText: String?
    var jointure: String?
    /// The record's kept attributes, written directly in their stored form (AttributeCoding, ADR 0016).
    var blob = ByteBuffer(capacity: 4096)
    var attributeCount = 0
    /// Names of the attributes already met in the current record (entries of `names`; names the table could not
    /// hold in `seenUnindexed`): a repeated one is not stored again.
    var recordAttrNames: [Int] = []
    var seenUnindexed: [String] = []
    /// Whether the current attribute may hold several values (AttributeCatalog).
    var attrIsMultiValued = true
    /// Values of the jointure attribute, read even when the filter drops it, to check them against <id>.
    var statedJointure: [String]?
    var recordLine = 0
    // Current attr / modification.
    var attrName = ""
    /// The current attribute's entry in `names`, nil for a name the full table could not hold.
    var attrNameIndex: Int?
    var attrKept = false
    var attrIsOperational = false
    var attrIsJointure = false
    var attrValueCount = 0
    var attrWritten = false
    var values: [String] = []
    // Text of the current value or id.
    var text = ByteBuffer(capacity: 256)
    var capturing = false

    init(fileName: String, expectedCategory: AAFCategory?, filter: (any AttributeFilter)?, limits: ParserLimits) {
        self.fileName = fileName
        self.expectedCategory = expectedCategory
        self.filter = filter
        self.hasFilter = filter != nil
        self.limits = limits
        stack.reserveCapacity(8)
    }

    var line: Int { ctxt.map { Int(xmlSAX2GetLineNumber($0)) } ?? 0 }
    var column: Int { ctxt.map { Int(xmlSAX2GetColumnNumber($0)) } ?? 0 }

    func error(_ code: ParseError.Code, _ message: String) -> ParseError {
        ParseError(code: code, file: fileName, line: line, column: column, message: message)
    }

    /// Records the first error and stops libxml2.
    func fail(_ code: ParseError.Code, _ message: String) {
        if failure == nil {
            failure = error(code, message)
        }
        if let ctxt { xmlStopParser(ctxt) }
    }

    func genericFailure(_ rc: Int32) -> ParseError {
        ParseError(
            code: .malformed,
            file: fileName,
            line: line,
            column: column,
            message:
                "not well-formed XML (libxml2 error \(rc)); the file is quarantined, ask the academy for a new extract",
            xmlCode: Int(rc)
        )
    }

    func mergedStatistics(into old: ParseStatistics) -> ParseStatistics {
        var merged = stats
        for (name, count) in names.droppedByName {
            merged.droppedAttributes[SAXState.reportableName(name), default: 0] += count
        }
        merged.bytes = old.bytes
        return merged
    }

    // MARK: Elements

    /// Element names libxml2 handed out before, by depth: it interns names in its dictionary, so the same
    /// pointer comes back for the same name and a pointer comparison replaces a `memcmp`.
    var seenNames: [(pointer: UnsafePointer<xmlChar>, element: Element)] = []

    /// The AAF grammar (aaf-format.md §2): which element may open under which parent, and in which kind of
    /// request. The one statement of the element rules: the match by name and the fast path by interned pointer
    /// both read it.
    static let grammar:
        [(parent: Element?, name: StaticString, element: Element, setsKind: RequestKind?, onlyIn: RequestKind?)] = [
            (nil, "ficAlimMENESR", .root, nil, nil),
            (.root, "addRequest", .request, .add, nil),
            (.root, "modifyRequest", .request, .modify, nil),
            (.root, "deleteRequest", .request, .delete, nil),
            (.request, "operationalAttributes", .operational, nil, nil),
            (.request, "identifier", .identifier, nil, nil),
            (.request, "attributes", .attributes, nil, .add),
            (.request, "modifications", .modifications, nil, .modify),
            (.operational, "attr", .attr, nil, nil),
            (.identifier, "id", .id, nil, nil),
            (.attributes, "attr", .attr, nil, nil),
            (.modifications, "modification", .modification, nil, nil),
            (.attr, "value", .value, nil, nil),
            (.modification, "value", .value, nil, nil),
        ]

    /// The grammar as a lookup for the hot path: `allowed[parent][element]` is the request kind the element
    /// needs, `.some(nil)` for any kind, nil when it may not open there.
    static let allowed: [[RequestKind??]] = {
        let count = Int(Element.value.rawValue) + 1
        var table = [[RequestKind??]](repeating: [RequestKind??](repeating: nil, count: count), count: count)
        for rule in grammar {
            guard let parent = rule.parent else { continue }
            table[Int(parent.rawValue)][Int(rule.element.rawValue)] = .some(rule.onlyIn)
        }
        return table
    }()

    func start(
        _ name: UnsafePointer<xmlChar>,
        uri: UnsafePointer<xmlChar>?,
        attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?,
        count: Int
    ) {
        guard failure == nil else { return }
        let depth = stack.count
        if uri == nil, depth >= 2, depth < 5, let known = seenNames.first(where: { $0.pointer == name }),
            mayOpen(known.element, under: stack[depth - 1])
        {
            stack.append(known.element)
            enter(known.element, attributes: attributes, count: count)
            return
        }
        if depth >= 5 {
            return fail(.structure, "elements nested deeper than an AAF file allows (5 levels)")
        }
        if uri != nil {
            return fail(.structure, "unexpected namespaced element; an AAF file has no namespace")
        }
        let parent = stack.last
        guard
            let rule = SAXState.grammar.first(where: {
                $0.parent == parent && ($0.onlyIn == nil || $0.onlyIn == kind) && equals(name, $0.name)
            })
        else {
            if depth == 1 {
                return fail(.structure, "unexpected element <\(safeName(name))> where a request was expected")
            }
            return fail(.structure, "unexpected element <\(safeName(name))> at depth \(depth + 1)")
        }
        if let setsKind = rule.setsKind {
            kind = setsKind
            beginRecord()
        }
        if rule.element == .root {
            sawRoot = true
        }
        if depth >= 2, seenNames.count < 16 {
            seenNames.append((name, rule.element))
        }
        stack.append(rule.element)
        enter(rule.element, attributes: attributes, count: count)
    }

    /// Whether `element` may open under `parent` in the current request (the grammar, by table).
    private func mayOpen(_ element: Element, under parent: Element) -> Bool {
        guard let needs = SAXState.allowed[Int(parent.rawValue)][Int(element.rawValue)] else { return false }
        return needs == nil || needs == kind
    }

    func enter(_ element: Element, attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, count: Int) {
        switch element {
        case .attr, .modification:
            beginAttribute(element: element, attributes: attributes, count: count)
        case .value:
            if stack[2] == .operational || attrKept || attrIsJointure {
                beginText()
            }
        case .id:
            beginText()
        default:
            break
        }
    }

    func end() {
        guard failure == nil, let element = stack.popLast() else { return }
        switch element {
        case .value: endValue()
        case .id:
            capturing = false
            let id = text.withBytes { String(decoding: $0, as: UTF8.self) }
            if jointure != nil {
                return fail(.structure, "a record has more than one <id>")
            }
            jointure = id
        case .attr, .modification: endAttribute()
        case .request: endRecord()
        default: break
        }
    }

    func characters(_ bytes: UnsafePointer<xmlChar>, _ count: Int) {
        guard capturing, failure == nil else { return }
        if text.count + count > limits.maxValueBytes {
            return fail(.limit, "a value is longer than \(limits.maxValueBytes) bytes (limit maxValueBytes)")
        }
        text.appendBytes(UnsafeBufferPointer(start: bytes, count: count))
    }

    func beginText() {
        text.removeAll()
        capturing = true
    }

    func beginRecord() {
        sawRequest = true
        recordCategory = nil
        recordCategoryText = nil
        jointure = nil
        blob.removeAll()
        names.startRecord()
        attributeCount = 0
        recordAttrNames.removeAll(keepingCapacity: true)
        seenUnindexed.removeAll(keepingCapacity: true)
        statedJointure = nil
        recordLine = line
    }

    func endRecord() {
        guard let categoryText = recordCategoryText else {
            return fail(.structure, "a record has no categoriePersonne or categorieStructure")
        }
        guard let category = recordCategory else {
            return fail(
                .category,
                "a record of category \(SAXState.reportableName(categoryText)) is not an ENT1D category"
            )
        }
        if let expectedCategory, category != expectedCategory {
            return fail(.category, "a \(category.rawValue) record in a \(expectedCategory.rawValue) file")
        }
        guard let jointure, !jointure.isEmpty else {
            return fail(.structure, "a record has no identifier/id")
        }
        if let stated = statedJointure, stated != [jointure] {
            return fail(.structure, "\(category.jointureAttribute) differs from identifier/id in a record")
        }
        stats.records[kind, default: 0] += 1
        if kind != .delete { AttributeCoding.finish(&blob) }
        let record = AAFRecord(
            kind: kind,
            category: category,
            jointure: jointure,
            encoded: kind == .delete ? [] : blob.array,
            line: recordLine
        )
        do {
            try sink?(record)
        } catch {
            sinkError = error
            if let ctxt { xmlStopParser(ctxt) }
        }
    }
}
