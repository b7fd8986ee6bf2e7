internal import CLibXML2
import Synchronization

/// Process-wide libxml2 set-up, done once before any parse (aaf-format.md §11).
///
/// - `xmlInitParser()`;
/// - an external entity loader that refuses everything (NONET does not block `file://`);
/// - catalogs off (`XML_CATA_ALLOW_NONE`);
/// - the read-only table of HTML named entities that `getEntity` serves.
public enum LibXML2Setup {
    /// Runs the set-up; later calls do nothing. Call it from the entrypoint before any task starts;
    /// the parser calls it too, so tests need not.
    public static func initialize() {
        _ = once
    }

    /// How many times libxml2 asked to load an external resource (always refused). Tests read it.
    public static var refusedLoads: Int { refusedLoadCount.load(ordering: .relaxed) }

    private static let once: Void = {
        xmlInitParser()
        xmlSetExternalEntityLoader { _, _, _ in
            LibXML2Setup.refusedLoadCount.add(1, ordering: .relaxed)
            return nil
        }
        xmlCatalogSetDefaults(XML_CATA_ALLOW_NONE)
        _ = HTMLEntityTable.shared
    }()

    fileprivate static let refusedLoadCount = Atomic<Int>(0)
}

/// libxml2's HTML named entities (the Latin-1 set and the rest of HTML 4), as predefined XML entities.
///
/// Built once from `htmlEntityValueLookup` over code points; each entry is an `xmlNewEntity(nil, …)` that is
/// never freed and never written after start-up.
struct HTMLEntityTable: @unchecked Sendable {
    // @unchecked Sendable: the dictionary is built once inside a `static let` initialiser (swift_once) and
    // only read afterwards; the entity structs it points to are never mutated by libxml2 for predefined entities.
    static let shared = HTMLEntityTable()

    private let entities: [String: xmlEntityPtr]

    private init() {
        var table: [String: xmlEntityPtr] = [:]
        for codePoint in UInt32(1)...UInt32(0x2FFF) {
            guard let desc = htmlEntityValueLookup(codePoint), let cName = desc.pointee.name,
                let scalar = Unicode.Scalar(codePoint)
            else { continue }
            let name = String(cString: cName)
            if ["amp", "lt", "gt", "quot", "apos"].contains(name) || table[name] != nil { continue }
            let content = String(Character(scalar))
            guard
                let entity = xmlNewEntity(nil, cName, Int32(XML_INTERNAL_PREDEFINED_ENTITY.rawValue), nil, nil, content)
            else { continue }
            table[name] = entity
        }
        entities = table
    }

    /// The entity named `name`, or nil.
    func entity(named name: UnsafePointer<xmlChar>) -> xmlEntityPtr? {
        entities[String(cString: name)]
    }

    var count: Int { entities.count }
}

extension LibXML2Setup {
    /// Number of HTML entity names beyond the XML five that the parser decodes.
    public static var htmlEntityCount: Int {
        initialize()
        return HTMLEntityTable.shared.count
    }
}
