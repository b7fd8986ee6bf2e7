#if canImport(Glibc)
import Glibc
#endif
import AAFModel
internal import CLibXML2

/// Limits the parser enforces on top of libxml2's own (10,000,000-byte text nodes, depth 256).
public struct ParserLimits: Sendable, Hashable {
    /// Largest `<value>` or `<id>` text, in bytes. AAF values are short; a huge text node is hostile.
    public var maxValueBytes: Int = 64 * 1024
    /// Most attributes in one record.
    public var maxAttributesPerRecord: Int = 512
    /// Most values in one attribute.
    public var maxValuesPerAttribute: Int = 4096
    /// Longest start tag, end tag, comment, declaration or processing instruction, in bytes (MarkupGuard). An AAF
    /// tag is tens of bytes, a header comment a few hundred.
    public var maxMarkupBytes: Int = 16 * 1024
    /// Largest record in its stored form, in bytes. A real record is a few KiB.
    public var maxRecordBytes: Int = 256 * 1024
    /// Most `key="value"` pairs kept from the header comments; beyond, the file is refused.
    public var maxHeaderFields: Int = 64

    public init() {}
}

/// Counters of one parse; names only, no values (R15).
public struct ParseStatistics: Sendable, Hashable {
    public var records: [RequestKind: Int] = [:]
    /// Attributes the filter dropped, by name (R1). Odd names are folded into `(invalid name)`.
    public var droppedAttributes: [String: Int] = [:]
    /// Literal `&apos;` sequences turned into `'` (double-escaped feeds).
    public var normalisedApostrophes: Int = 0
    /// Anomalies where an attribute says more than once what it may say once: a second `<attr>` of the same name
    /// in one record, or a second value of a single-valued attribute. The first wins everywhere (stored form,
    /// links, `person show`); the rest is counted here, by name (R15: AAF names only).
    public var repeatedAttributes: [String: Int] = [:]
    /// Bytes fed.
    public var bytes: Int = 0

    public init() {}
}

/// A streaming parser for one AAF file (one part), built on libxml2's SAX2 push parser.
///
/// Feed it chunks of any size; after each chunk the records completed in it are handed to the caller, so
/// memory is bounded by the chunk size, not the file size. The DTD is never loaded, external entities are
/// never resolved (the process-wide loader refuses them), a document that declares entities is refused,
/// and undeclared HTML named entities (`&eacute;`) are decoded (aaf-format.md §11).
///
/// One parser per file, used from one thread.
public final class AAFDocumentParser {
    /// The file name used in errors.
    public let fileName: String
    /// The category every record must have; nil accepts the four ENT1D categories.
    public let expectedCategory: AAFCategory?
    /// Header metadata comments seen so far.
    public private(set) var header = DocumentHeader()
    public private(set) var statistics = ParseStatistics()

    private let filter: (any AttributeFilter)?
    private let limits: ParserLimits
    private var handle: xmlParserCtxtPtr?
    private let state: SAXState
    private var finished = false
    /// Refuses oversized markup before libxml2 parses it.
    private var markupGuard: MarkupGuard

    /// Creates a parser for one file.
    ///
    /// - Parameters:
    ///   - fileName: named in errors.
    ///   - expectedCategory: the category the file name announces.
    ///   - filter: the allow-list applied before values are decoded (R1); nil keeps everything.
    ///   - limits: size limits.
    public init(
        fileName: String,
        expectedCategory: AAFCategory?,
        filter: (any AttributeFilter)?,
        limits: ParserLimits = ParserLimits()
    ) {
        markupGuard = MarkupGuard(limit: limits.maxMarkupBytes)
        LibXML2Setup.initialize()
        self.fileName = fileName
        self.expectedCategory = expectedCategory
        self.filter = filter
        self.limits = limits
        self.state = SAXState(fileName: fileName, expectedCategory: expectedCategory, filter: filter, limits: limits)

        var handler = xmlSAXHandler()
        handler.initialized = XML_SAX2_MAGIC
        handler.startElementNs = saxStartElement
        handler.endElementNs = saxEndElement
        handler.characters = saxCharacters
        handler.comment = saxComment
        handler.getEntity = saxGetEntity
        handler.entityDecl = saxEntityDecl
        handler.elementDecl = saxElementDecl
        handler.attributeDecl = saxAttributeDecl
        handler.notationDecl = saxNotationDecl
        handler.unparsedEntityDecl = saxUnparsedEntityDecl
        handler.serror = saxStructuredError
        // Unmanaged: the parser object owns `state` for longer than the libxml2 context lives (freed in deinit).
        let context = Unmanaged.passUnretained(state).toOpaque()
        let ctxt = fileName.withCString { xmlCreatePushParserCtxt(&handler, context, nil, 0, $0) }
        if let ctxt {
            xmlCtxtUseOptions(ctxt, Int32(XML_PARSE_NONET.rawValue))
            ctxt.pointee._private = context
        }
        handle = ctxt
        state.ctxt = ctxt
    }

    deinit {
        if let handle {
            // The context does not own the document libxml2 starts for an internal subset (a `myDoc` with its DTD):
            // freeing only the context leaked ~12 KB for every file refused for declaring one (found by
            // LeakSanitizer while fuzzing; a daemon fed such files would have grown without bound).
            if let document = handle.pointee.myDoc {
                handle.pointee.myDoc = nil
                xmlFreeDoc(document)
            }
            xmlFreeParserCtxt(handle)
        }
    }

    /// Feeds the next chunk; calls `onRecord` for every record completed so far, in file order.
    ///
    /// - Throws: ``ParseError`` at the first problem; the parser is then unusable. Errors thrown by
    ///   `onRecord` propagate unchanged.
    public func feed(_ bytes: UnsafeRawBufferPointer, onRecord: (AAFRecord) throws -> Void) throws {
        try push(bytes, terminate: false, onRecord: onRecord)
    }

    /// Feeds a chunk held in an array.
    public func feed(_ bytes: [UInt8], onRecord: (AAFRecord) throws -> Void) throws {
        try bytes.withUnsafeBytes { try feed($0, onRecord: onRecord) }
    }

    /// Ends the document: a truncated file fails here.
    public func finish(onRecord: (AAFRecord) throws -> Void) throws {
        try push(UnsafeRawBufferPointer(start: nil, count: 0), terminate: true, onRecord: onRecord)
        guard state.sawRoot else {
            throw state.error(.structure, "the file holds no ficAlimMENESR document; check that it is an AAF extract")
        }
    }

    private func push(_ bytes: UnsafeRawBufferPointer, terminate: Bool, onRecord: (AAFRecord) throws -> Void) throws {
        guard let handle else {
            throw ParseError(code: .io, file: fileName, line: 0, column: 0, message: "libxml2 could not create a parser")
        }
        precondition(!finished, "AAFDocumentParser used after finish or failure")
        // Before libxml2 sees anything: no piece of markup longer than the limit (its cost is not linear).
        guard markupGuard.scan(bytes) else {
            finished = true
            throw ParseError(
                code: .limit, file: fileName, line: state.line, column: state.column,
                message: "a tag, comment or declaration is longer than \(limits.maxMarkupBytes) bytes (limit maxMarkupBytes): no AAF "
                    + "file has one; the file is refused and nothing is imported")
        }
        statistics.bytes += bytes.count
        var offset = 0
        // xmlParseChunk takes an Int32 size: feed at most 1 MiB at a time.
        // Records are handed over from inside the SAX callback, as each ends: nothing is buffered or copied.
        // Records completed before a failure have been handed over: callers stage them, never commit, on error.
        try withoutActuallyEscaping(onRecord) { sink in
            state.sink = sink
            defer { state.sink = nil }
            repeat {
                let size = min(bytes.count - offset, 1 << 20)
                let isLast = terminate && offset + size == bytes.count
                let base = bytes.baseAddress.map { $0.advanced(by: offset).assumingMemoryBound(to: CChar.self) }
                let rc = xmlParseChunk(handle, base, Int32(size), isLast ? 1 : 0)
                offset += size
                if let sinkError = state.sinkError {
                    finished = true
                    throw sinkError
                }
                if let failure = state.failure ?? (rc != 0 || handle.pointee.wellFormed == 0 ? state.genericFailure(rc) : nil) {
                    finished = true
                    statistics = state.mergedStatistics(into: statistics)
                    throw failure
                }
            } while offset < bytes.count
        }
        header = state.header
        statistics = state.mergedStatistics(into: statistics)
        if terminate { finished = true }
    }
}

extension AAFDocumentParser {
    /// Parses a whole file from disk in chunks of `chunkSize` bytes.
    ///
    /// - Returns: the parser, for its header and statistics.
    @discardableResult
    public static func parseFile(
        atPath path: String,
        expectedCategory: AAFCategory?,
        filter: (any AttributeFilter)?,
        chunkSize: Int = 256 * 1024,
        limits: ParserLimits = ParserLimits(),
        onRecord: (AAFRecord) throws -> Void
    ) throws -> AAFDocumentParser {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let parser = AAFDocumentParser(fileName: name, expectedCategory: expectedCategory, filter: filter, limits: limits)
        let reader = try ChunkReader(path: path, fileName: name)
        var buffer = [UInt8](repeating: 0, count: max(1, chunkSize))
        while true {
            let n = try reader.read(into: &buffer)
            if n == 0 { break }
            try buffer.withUnsafeBytes { raw in
                try parser.feed(UnsafeRawBufferPointer(rebasing: raw[0..<n]), onRecord: onRecord)
            }
        }
        try parser.finish(onRecord: onRecord)
        return parser
    }
}

// MARK: - SAX state

/// What the SAX callbacks share. Lives as long as its ``AAFDocumentParser``; used from one thread.
private final class SAXState {
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
    /// The record's kept attributes, written directly in their stored form (AttributeCoding).
    var blob: [UInt8] = []
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
    var text: [UInt8] = []
    var capturing = false

    init(fileName: String, expectedCategory: AAFCategory?, filter: (any AttributeFilter)?, limits: ParserLimits) {
        self.fileName = fileName
        self.expectedCategory = expectedCategory
        self.filter = filter
        self.hasFilter = filter != nil
        self.limits = limits
        stack.reserveCapacity(8)
        text.reserveCapacity(256)
        blob.reserveCapacity(4096)
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
            code: .malformed, file: fileName, line: line, column: column,
            message: "not well-formed XML (libxml2 error \(rc)); the file is quarantined, ask the academy for a new extract",
            xmlCode: Int(rc))
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
    private var seenNames: [(pointer: UnsafePointer<xmlChar>, element: Element, kind: RequestKind?)] = []

    func start(_ name: UnsafePointer<xmlChar>, uri: UnsafePointer<xmlChar>?, attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, count: Int) {
        guard failure == nil else { return }
        let depth = stack.count
        if uri == nil, depth >= 2, depth < 5, let known = seenNames.first(where: { $0.pointer == name }),
            isValid(known.element, atDepth: depth)
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
        let element: Element?
        switch depth {
        case 0: element = equals(name, "ficAlimMENESR") ? .root : nil
        case 1:
            if equals(name, "addRequest") {
                kind = .add
            } else if equals(name, "modifyRequest") {
                kind = .modify
            } else if equals(name, "deleteRequest") {
                kind = .delete
            } else {
                return fail(.structure, "unexpected element <\(safeName(name))> where a request was expected")
            }
            element = .request
            beginRecord()
        case 2:
            if equals(name, "operationalAttributes") {
                element = .operational
            } else if equals(name, "identifier") {
                element = .identifier
            } else if equals(name, "attributes"), kind == .add {
                element = .attributes
            } else if equals(name, "modifications"), kind == .modify {
                element = .modifications
            } else {
                element = nil
            }
        case 3:
            switch stack[2] {
            case .operational: element = equals(name, "attr") ? .attr : nil
            case .identifier: element = equals(name, "id") ? .id : nil
            case .attributes: element = equals(name, "attr") ? .attr : nil
            case .modifications: element = equals(name, "modification") ? .modification : nil
            default: element = nil
            }
        default:
            element = equals(name, "value") && (stack[3] == .attr || stack[3] == .modification) ? .value : nil
        }
        guard let element else {
            return fail(.structure, "unexpected element <\(safeName(name))> at depth \(depth + 1)")
        }
        if element == .root {
            sawRoot = true
        }
        if depth >= 2, seenNames.count < 16 {
            seenNames.append((name, element, nil))
        }
        stack.append(element)
        enter(element, attributes: attributes, count: count)
    }

    /// Whether `element` may open at `depth` under the current stack (the same rules as the full match).
    private func isValid(_ element: Element, atDepth depth: Int) -> Bool {
        switch (depth, element) {
        case (2, .operational), (2, .identifier): true
        case (2, .attributes): kind == .add
        case (2, .modifications): kind == .modify
        case (3, .attr): stack[2] == .operational || stack[2] == .attributes
        case (3, .id): stack[2] == .identifier
        case (3, .modification): stack[2] == .modifications
        case (4, .value): stack[3] == .attr || stack[3] == .modification
        default: false
        }
    }

    private func enter(_ element: Element, attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, count: Int) {
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
            let id = String(decoding: text, as: UTF8.self)
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
        text.append(contentsOf: UnsafeBufferPointer(start: bytes, count: count))
    }

    private func beginText() {
        text.removeAll(keepingCapacity: true)
        capturing = true
    }

    private func beginRecord() {
        sawRequest = true
        recordCategory = nil
        recordCategoryText = nil
        jointure = nil
        blob.removeAll(keepingCapacity: true)
        names.startRecord()
        attributeCount = 0
        recordAttrNames.removeAll(keepingCapacity: true)
        seenUnindexed.removeAll(keepingCapacity: true)
        statedJointure = nil
        recordLine = line
    }

    private func beginAttribute(element: Element, attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, count: Int) {
        var nameIndex: Int?
        var name: String?
        var operation: String?
        if let attributes {
            for i in 0..<count {
                guard let local = attributes[i * 5], let begin = attributes[i * 5 + 3], let end = attributes[i * 5 + 4]
                else { continue }
                if equals(local, "name") {
                    nameIndex = names.index(of: begin, count: end - begin)
                    name = nameIndex.map { names.entries[$0].name }
                        ?? String(decoding: UnsafeBufferPointer(start: begin, count: end - begin), as: UTF8.self)
                } else if element == .modification, equals(local, "operation") {
                    operation = String(decoding: UnsafeBufferPointer(start: begin, count: end - begin), as: UTF8.self)
                } else {
                    return fail(.structure, "unexpected XML attribute \(safeName(local)) on <\(element == .attr ? "attr" : "modification")>")
                }
            }
        }
        guard let name, !name.isEmpty else {
            return fail(.structure, "an <attr> or <modification> has no name")
        }
        if let operation, operation != "replace" {
            return fail(.structure, "modification operation is not 'replace' (attribute \(safeName(name)))")
        }
        attrName = name
        attrNameIndex = nameIndex
        values.removeAll(keepingCapacity: true)
        attrValueCount = 0
        attrWritten = false
        attrIsOperational = stack[2] == .operational
        attrIsJointure = false
        if attrIsOperational {
            attrKept = true
            return
        }
        attributeCount += 1
        if attributeCount > limits.maxAttributesPerRecord {
            return fail(.limit, "a record has more than \(limits.maxAttributesPerRecord) attributes (limit maxAttributesPerRecord)")
        }
        let category = recordCategory ?? expectedCategory
        // The jointure attribute is always read, to check it against <id>.
        let isJointure: Bool
        if let category, let nameIndex {
            isJointure = category == .structure ? names.entries[nameIndex].isStructureJointure : names.entries[nameIndex].isPersonJointure
        } else {
            isJointure = category.map { name == $0.jointureAttribute } ?? false
        }
        if isJointure {
            attrIsJointure = true
            statedJointure = statedJointure ?? []
        }
        // One place decides repeated attributes: the first <attr> of a name wins; a later one is counted, not
        // stored (so the stored form, the links and `person show` agree).
        let repeated: Bool
        if let nameIndex {
            repeated = recordAttrNames.contains(nameIndex)
            if !repeated { recordAttrNames.append(nameIndex) }
            attrIsMultiValued = names.entries[nameIndex].isMultiValued
        } else {
            repeated = seenUnindexed.contains(name)
            if !repeated { seenUnindexed.append(name) }
            attrIsMultiValued = AttributeCatalog.multiValued.contains(name)
        }
        if repeated {
            attrKept = false
            stats.repeatedAttributes[SAXState.reportableName(name), default: 0] += 1
            return
        }
        guard hasFilter, let category else {
            attrKept = true
            return
        }
        let decision: AttributeDecision
        if let nameIndex, let cached = names.cachedDecision(nameIndex, category: category) {
            decision = cached
        } else {
            decision = filter!.decision(for: name, category: category)
            if let nameIndex { names.store(decision, nameIndex, category: category) }
        }
        switch decision {
        case .keep: attrKept = true
        case .drop: attrKept = false
        case .perRecord: attrKept = filter!.keeps(name, category: category, jointure: jointure ?? "")
        }
        if !attrKept {
            if let nameIndex {
                names.countDrop(nameIndex)
            } else {
                stats.droppedAttributes[SAXState.reportableName(name), default: 0] += 1
            }
        }
    }

    private func endValue() {
        guard capturing else { return }
        capturing = false
        attrValueCount += 1
        if attrValueCount > limits.maxValuesPerAttribute {
            return fail(.limit, "attribute \(safeName(attrName)) has more than \(limits.maxValuesPerAttribute) values")
        }
        normaliseApostrophes()
        if attrIsOperational || attrIsJointure {
            let value = String(decoding: text, as: UTF8.self)
            if attrIsOperational { values.append(value) } else { statedJointure?.append(value) }
        }
        guard attrKept, !attrIsOperational, !text.isEmpty else { return }
        if attrWritten, !attrIsMultiValued {
            // A second value of a single-valued attribute: the first wins (counted).
            stats.repeatedAttributes[SAXState.reportableName(attrName), default: 0] += 1
            return
        }
        // `<value/>` and empty values are not stored: "no value" has one form (AttributeCoding).
        if attrWritten {
            blob.append(AttributeCoding.valueSeparator)
        } else {
            if !blob.isEmpty { blob.append(AttributeCoding.attributeSeparator) }
            if let attrNameIndex {
                blob.append(contentsOf: names.entries[attrNameIndex].bytes)
            } else {
                blob.append(contentsOf: attrName.utf8)
            }
            blob.append(AttributeCoding.nameSeparator)
            attrWritten = true
        }
        blob.append(contentsOf: text)
        if blob.count > limits.maxRecordBytes {
            return fail(.limit, "a record is larger than \(limits.maxRecordBytes) bytes (limit maxRecordBytes): no real record approaches it")
        }
    }

    private static let apos: [UInt8] = Array("&apos;".utf8)

    /// A literal `&apos;` left by double escaping becomes `'`, in place in the text bytes.
    private func normaliseApostrophes() {
        guard text.contains(UInt8(ascii: "&")) else { return }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        var occurrences = 0
        while i < text.count {
            if text[i] == UInt8(ascii: "&"), i + 6 <= text.count, text[i..<(i + 6)].elementsEqual(SAXState.apos) {
                out.append(UInt8(ascii: "'"))
                occurrences += 1
                i += 6
            } else {
                out.append(text[i])
                i += 1
            }
        }
        stats.normalisedApostrophes += occurrences
        text = out
    }

    private func endAttribute() {
        guard attrIsOperational else { return }
        // categorieMatiere and categorieMef (2D only) are read so that the record fails as a category error.
        guard ["categoriePersonne", "categorieStructure", "categorieMatiere", "categorieMef"].contains(attrName) else {
            return fail(.structure, "unexpected operational attribute \(safeName(attrName))")
        }
        let text = values.first ?? ""
        recordCategoryText = text
        recordCategory = AAFCategory(rawValue: text)
    }

    private func endRecord() {
        guard let categoryText = recordCategoryText else {
            return fail(.structure, "a record has no categoriePersonne or categorieStructure")
        }
        guard let category = recordCategory else {
            return fail(.category, "a record of category \(SAXState.reportableName(categoryText)) is not an ENT1D category")
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
        let record = AAFRecord(kind: kind, category: category, jointure: jointure, encoded: kind == .delete ? [] : blob, line: recordLine)
        do {
            try sink?(record)
        } catch {
            sinkError = error
            if let ctxt { xmlStopParser(ctxt) }
        }
    }

    // MARK: Comments, entities, errors

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
                    return fail(.limit, "the header comments hold more than \(limits.maxHeaderFields) keys (limit maxHeaderFields): no AAF file has as many")
                }
                header.fields[String(key)] = String(after[..<close].prefix(128))
            }
            rest = after[after.index(after: close)...]
        }
    }

    /// R15: only names of the AAF vocabulary reach an output; any other is counted under one placeholder.
    static func reportableName(_ name: String) -> String { AAFVocabulary.reportable(name) }

    private func safeName(_ pointer: UnsafePointer<xmlChar>) -> String {
        SAXState.reportableName(String(cString: pointer))
    }

    private func safeName(_ name: String) -> String { SAXState.reportableName(name) }

    private func equals(_ pointer: UnsafePointer<xmlChar>, _ literal: StaticString) -> Bool {
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
            code: kind, file: fileName, line: Int(e.line), column: Int(e.int2),
            message: "\(what) (libxml2 error \(code)); the file is refused and nothing is imported",
            xmlCode: code)
        if let ctxt { xmlStopParser(ctxt) }
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

// MARK: - C callbacks
// Non-capturing closures that recover their state from the context pointer. Errors cannot cross C frames:
// the state records the first one and stops the parser; `push` throws it once xmlParseChunk returns.

private func state(_ ctx: UnsafeMutableRawPointer?) -> SAXState {
    // Unmanaged: the AAFDocumentParser keeps the SAXState alive while its libxml2 context exists.
    Unmanaged<SAXState>.fromOpaque(ctx!).takeUnretainedValue()
}

/// Runs `body` on the state without a retain/release pair: the hot callbacks (one per element and text run).
@inline(__always)
private func withState(_ ctx: UnsafeMutableRawPointer?, _ body: (SAXState) -> Void) {
    // Unmanaged: as above; the reference is guaranteed for the duration of the callback.
    Unmanaged<SAXState>.fromOpaque(ctx!)._withUnsafeGuaranteedRef(body)
}

private let saxStartElement: startElementNsSAX2Func = { ctx, localname, _, uri, _, _, nbAttributes, _, attributes in
    guard let localname else { return }
    withState(ctx) { $0.start(localname, uri: uri, attributes: attributes, count: Int(nbAttributes)) }
}

private let saxEndElement: endElementNsSAX2Func = { ctx, _, _, _ in
    withState(ctx) { $0.end() }
}

private let saxCharacters: charactersSAXFunc = { ctx, ch, len in
    guard let ch, len > 0 else { return }
    withState(ctx) { $0.characters(ch, Int(len)) }
}

private let saxComment: commentSAXFunc = { ctx, value in
    guard let value else { return }
    state(ctx).comment(value)
}

private let saxGetEntity: getEntitySAXFunc = { _, name in
    guard let name else { return nil }
    if let predefined = xmlGetPredefinedEntity(name) {
        return predefined
    }
    return HTMLEntityTable.shared.entity(named: name)
}

private let saxEntityDecl: entityDeclSAXFunc = { ctx, _, _, _, _, _ in
    state(ctx).fail(.entity, "the document declares entities (internal DTD subset); refused: an AAF file declares none")
}

private let saxElementDecl: elementDeclSAXFunc = { ctx, _, _, _ in
    state(ctx).fail(.entity, "the document declares elements (internal DTD subset); refused: an AAF file declares none")
}

private let saxAttributeDecl: attributeDeclSAXFunc = { ctx, _, _, _, _, _, tree in
    if let tree { xmlFreeEnumeration(tree) }
    state(ctx).fail(.entity, "the document declares attributes (internal DTD subset); refused: an AAF file declares none")
}

private let saxNotationDecl: notationDeclSAXFunc = { ctx, _, _, _ in
    state(ctx).fail(.entity, "the document declares notations (internal DTD subset); refused: an AAF file declares none")
}

private let saxUnparsedEntityDecl: unparsedEntityDeclSAXFunc = { ctx, _, _, _, _ in
    state(ctx).fail(.entity, "the document declares entities (internal DTD subset); refused: an AAF file declares none")
}

private let saxStructuredError: xmlStructuredErrorFunc = { _, error in
    // The error's own ctxt field is the parser context; its _private is our state (set at creation).
    guard let error, let raw = error.pointee.ctxt else { return }
    let ctxt = raw.assumingMemoryBound(to: xmlParserCtxt.self)
    guard let privateState = ctxt.pointee._private else { return }
    state(privateState).structuredError(error)
}
