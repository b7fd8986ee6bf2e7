import AAFModel
internal import CLibXML2

#if canImport(Glibc)
import Glibc
#endif

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
    state(ctx).fail(
        .entity,
        "the document declares attributes (internal DTD subset); refused: an AAF file declares none"
    )
}

private let saxNotationDecl: notationDeclSAXFunc = { ctx, _, _, _ in
    state(ctx).fail(
        .entity,
        "the document declares notations (internal DTD subset); refused: an AAF file declares none"
    )
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

/// The SAX2 handler that routes libxml2's callbacks to the parser's state.
enum SAXCallbacks {
    static func handler() -> xmlSAXHandler {
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
        return handler
    }
}
