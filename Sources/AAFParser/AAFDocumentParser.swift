import AAFModel
internal import CLibXML2

#if canImport(Glibc)
import Glibc
#endif

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

        var handler = SAXCallbacks.handler()
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
            throw ParseError(
                code: .io,
                file: fileName,
                line: 0,
                column: 0,
                message: "libxml2 could not create a parser"
            )
        }
        precondition(!finished, "AAFDocumentParser used after finish or failure")
        // Before libxml2 sees anything: no piece of markup longer than the limit (its cost is not linear).
        guard markupGuard.scan(bytes) else {
            finished = true
            throw ParseError(
                code: .limit,
                file: fileName,
                line: state.line,
                column: state.column,
                message:
                    "a tag, comment or declaration is longer than \(limits.maxMarkupBytes) bytes (limit maxMarkupBytes): no AAF "
                    + "file has one; the file is refused and nothing is imported"
            )
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
                if let failure = state.failure
                    ?? (rc != 0 || handle.pointee.wellFormed == 0 ? state.genericFailure(rc) : nil)
                {
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
        let parser = AAFDocumentParser(
            fileName: name,
            expectedCategory: expectedCategory,
            filter: filter,
            limits: limits
        )
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
