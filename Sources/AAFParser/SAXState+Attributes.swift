import AAFModel
internal import CLibXML2

#if canImport(Glibc)
import Glibc
#endif

// The attribute being read (<attr>/<modification>) and its values: allow-list, repeated names, stored form.
extension SAXState {
    func beginAttribute(element: Element, attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, count: Int) {
        var nameIndex: Int?
        var name: String?
        var operation: String?
        if let attributes {
            for i in 0..<count {
                guard let local = attributes[i * 5], let begin = attributes[i * 5 + 3], let end = attributes[i * 5 + 4]
                else { continue }
                if equals(local, "name") {
                    nameIndex = names.index(of: begin, count: end - begin)
                    name =
                        nameIndex.map { names.entries[$0].name }
                        ?? String(decoding: UnsafeBufferPointer(start: begin, count: end - begin), as: UTF8.self)
                } else if element == .modification, equals(local, "operation") {
                    operation = String(decoding: UnsafeBufferPointer(start: begin, count: end - begin), as: UTF8.self)
                } else {
                    return fail(
                        .structure,
                        "unexpected XML attribute \(safeName(local)) on <\(element == .attr ? "attr" : "modification")>"
                    )
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
        if !values.isEmpty { values.removeAll(keepingCapacity: true) }
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
            return fail(
                .limit,
                "a record has more than \(limits.maxAttributesPerRecord) attributes (limit maxAttributesPerRecord)"
            )
        }
        let category = recordCategory ?? expectedCategory
        // The jointure attribute is always read, to check it against <id>.
        let isJointure: Bool
        if let category, let nameIndex {
            isJointure =
                category == .structure
                ? names.entries[nameIndex].isStructureJointure : names.entries[nameIndex].isPersonJointure
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

    func endValue() {
        guard capturing else { return }
        capturing = false
        attrValueCount += 1
        if attrValueCount > limits.maxValuesPerAttribute {
            return fail(.limit, "attribute \(safeName(attrName)) has more than \(limits.maxValuesPerAttribute) values")
        }
        normaliseApostrophes()
        if attrIsOperational || attrIsJointure {
            let value = text.withBytes { String(decoding: $0, as: UTF8.self) }
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
            AttributeCoding.nextValue(in: &blob)
        } else {
            if let attrNameIndex {
                AttributeCoding.beginAttribute(names.entries[attrNameIndex].bytes, in: &blob)
            } else {
                AttributeCoding.beginAttribute(Array(attrName.utf8), in: &blob)
            }
            attrWritten = true
        }
        text.withBytes { AttributeCoding.appendString($0, to: &blob) }
        if blob.count > limits.maxRecordBytes {
            return fail(
                .limit,
                "a record is larger than \(limits.maxRecordBytes) bytes (limit maxRecordBytes): no real record approaches it"
            )
        }
    }

    /// A literal `&apos;` left by double escaping becomes `'`, in place in the text bytes.
    func normaliseApostrophes() {
        guard text.count >= 6 else { return }
        let occurrences = text.withMutableBytes { bytes -> Int in
            guard let base = bytes.baseAddress, memchr(base, 0x26, bytes.count) != nil else { return 0 }
            let apos = Array("&apos;".utf8)
            var read = 0
            var written = 0
            var found = 0
            while read < bytes.count {
                if bytes[read] == 0x26, read + 6 <= bytes.count, bytes[read..<(read + 6)].elementsEqual(apos) {
                    bytes[written] = UInt8(ascii: "'")
                    found += 1
                    read += 6
                } else {
                    bytes[written] = bytes[read]
                    read += 1
                }
                written += 1
            }
            return found
        }
        guard occurrences > 0 else { return }
        text.truncate(to: text.count - 5 * occurrences)
        stats.normalisedApostrophes += occurrences
    }

    func endAttribute() {
        guard attrIsOperational else { return }
        // categorieMatiere and categorieMef (2D only) are read so that the record fails as a category error.
        guard ["categoriePersonne", "categorieStructure", "categorieMatiere", "categorieMef"].contains(attrName) else {
            return fail(.structure, "unexpected operational attribute \(safeName(attrName))")
        }
        let text = values.first ?? ""
        recordCategoryText = text
        recordCategory = AAFCategory(rawValue: text)
    }
}
