/// The six values `ent_people` shows in columns of their own, stored beside a person's attributes (migration 14,
/// ADR 0018) so that the ENT's full read costs what reading plain columns costs: each is the first value of one
/// attribute, and the birth date is turned from `dd/mm/yyyy` into `yyyy-mm-dd` (NULL in any other shape).
///
/// Written by every statement that writes `persons.attrs` (the import, a consent's revocation), from the same stored
/// form, in the same statement: a row's columns never disagree with its attributes. ``sql(_:)`` is the same rule in
/// SQL, which migration 14 used to fill the rows it found, and which the tests hold the Swift reading to. Migration
/// 14 is built from these lists: a change to them is a new migration, never an edit.
public enum PersonColumns {
    /// The columns, in the order of ``attributes``.
    public static let columns = ["surname", "birth_surname", "first_name", "civility", "birth_date", "mail"]
    /// The attribute each column shows the first value of.
    public static let attributes = [
        "ENTPersonNom", "ENTPersonNomPatro", "ENTPersonPrenom", "ENTPersonCivilite", "ENTPersonDateNaissance",
        "ENTPersonMail",
    ]
    /// The index of `birth_date`, the one column that is not the value as it is.
    public static let birthDate = 4
    static let keys = attributes.map { Array($0.utf8) }

    /// The SQL expression of column `index` over the stored form in `attrs`: SQLite's own reading, the reference.
    public static func sql(_ index: Int, attrs: String = "attrs") -> String {
        let first = "json_extract(\(attrs), '$.\(attributes[index])[0]')"
        guard index == birthDate else { return first }
        return """
            CASE WHEN \(first) GLOB '[0-9][0-9]/[0-9][0-9]/[0-9][0-9][0-9][0-9]'
                THEN substr(\(first), 7, 4) || '-' || substr(\(first), 4, 2) || '-' || substr(\(first), 1, 2) END
            """
    }

    /// Calls `body` with the index and UTF-8 bytes of each column that has a value in the stored form `bytes`; the
    /// others are NULL. No String is made for a value without an escape.
    public static func forEachValue(in bytes: [UInt8], _ body: (Int, UnsafeRawBufferPointer) throws -> Void) rethrows {
        var found = Found()
        // The canonical form, which every writer stores (ADR 0016), is read in one pass over its bytes (the
        // general reader cost the writer 15,000 instructions a person); anything else with the general reader.
        let canonical = bytes.withUnsafeBufferPointer { scanCanonical($0, into: &found) }
        if !canonical {
            found = Found()
            var reader = AttributeCoding.Reader(bytes)
            reader.forEachKey { key, reader in
                guard let index = column(key) else { return false }
                let first = reader.firstValue()
                found.note(index, first?.range, escaped: first?.escaped ?? false)
                return true
            }
        }
        let reader = AttributeCoding.Reader(bytes)
        try bytes.withUnsafeBytes { all in
            for (index, range, escaped) in found.values {
                if !escaped, index != birthDate {
                    try body(index, UnsafeRawBufferPointer(rebasing: all[range]))
                    continue
                }
                // json_extract ends a value at a NUL (`\u0000`); no XML value holds one, but the rule is SQLite's.
                var value = escaped ? Array(reader.text(range, escaped: true).utf8) : Array(all[range])
                if escaped, let nul = value.firstIndex(of: 0) { value.removeSubrange(nul...) }
                if index == birthDate {
                    guard let iso = isoDate(value) else { continue }
                    value = iso
                }
                try value.withUnsafeBytes { try body(index, $0) }
            }
        }
    }

    /// The first value of each column's attribute, as found: a repeated attribute's first occurrence counts, as for
    /// json_extract, even when it has no value.
    struct Found {
        var values: [(index: Int, range: Range<Int>, escaped: Bool)]
        var seen = 0

        init() {
            values = []
            values.reserveCapacity(PersonColumns.columns.count)
        }

        mutating func note(_ index: Int, _ range: Range<Int>?, escaped: Bool) {
            guard seen & (1 << index) == 0 else { return }
            seen |= 1 << index
            if let range { values.append((index, range, escaped)) }
        }
    }

    /// The column whose attribute is named `key` (its bytes), if any.
    static func column(_ key: some Collection<UInt8>) -> Int? {
        Array(key).withUnsafeBufferPointer { column($0) }
    }

    /// The same for bytes in place: a key's length and tenth byte name the one candidate, then compared whole.
    static func column(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        let index: Int
        switch (key.count, key.count >= 12 ? key[9] : 0) {
        case (12, UInt8(ascii: "N")): index = 0
        case (17, UInt8(ascii: "N")): index = 1
        case (15, UInt8(ascii: "P")): index = 2
        case (17, UInt8(ascii: "C")): index = 3
        case (22, UInt8(ascii: "D")): index = 4
        case (13, UInt8(ascii: "M")): index = 5
        default: return nil
        }
        let matches = keys[index].withUnsafeBufferPointer { name in
            var i = 0
            while i < name.count, name[i] == key[i] { i += 1 }
            return i == name.count
        }
        return matches ? index : nil
    }

    /// Reads the canonical form `{"name":["value",…],…}` (no space, every array with a value) in one pass, noting
    /// each column's first value; false at the first byte that is not that form.
    static func scanCanonical(_ p: UnsafeBufferPointer<UInt8>, into found: inout Found) -> Bool {
        let quote = UInt8(ascii: "\"")
        let backslash = UInt8(ascii: "\\")
        let comma = UInt8(ascii: ",")
        let n = p.count
        guard n >= 2, p[0] == UInt8(ascii: "{") else { return false }
        if n == 2 { return p[1] == UInt8(ascii: "}") }
        var i = 1
        while true {
            // A key, `"name":[` (attribute names have no escape).
            guard i < n, p[i] == quote else { return false }
            var j = i + 1
            while j < n, p[j] != quote, p[j] != backslash { j += 1 }
            guard j + 2 < n, p[j] == quote, p[j + 1] == UInt8(ascii: ":"), p[j + 2] == UInt8(ascii: "[") else {
                return false
            }
            let index = column(UnsafeBufferPointer(rebasing: p[(i + 1)..<j]))
            i = j + 3
            // Its values, `"…","…"]`.
            var first = true
            while true {
                guard i < n, p[i] == quote else { return false }
                var k = i + 1
                var escaped = false
                while k < n, p[k] != quote {
                    if p[k] == backslash {
                        escaped = true
                        k += 1
                    }
                    k += 1
                }
                guard k + 1 < n else { return false }
                if first, let index { found.note(index, (i + 1)..<k, escaped: escaped) }
                first = false
                i = k + 1
                if p[i] == comma {
                    i += 1
                    continue
                }
                guard p[i] == UInt8(ascii: "]") else { return false }
                i += 1
                break
            }
            guard i < n else { return false }
            if p[i] == comma {
                i += 1
                continue
            }
            return p[i] == UInt8(ascii: "}") && i == n - 1
        }
    }

    /// `dd/mm/yyyy` (ASCII digits, as GLOB's `[0-9]`) as `yyyy-mm-dd`; nil otherwise.
    static func isoDate(_ value: [UInt8]) -> [UInt8]? {
        guard value.count == 10, value[2] == UInt8(ascii: "/"), value[5] == UInt8(ascii: "/") else { return nil }
        for i in [0, 1, 3, 4, 6, 7, 8, 9] where !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(value[i]) {
            return nil
        }
        return Array(value[6..<10]) + [UInt8(ascii: "-")] + Array(value[3..<5]) + [UInt8(ascii: "-")]
            + Array(value[0..<2])
    }
}

extension AttributeCoding.Reader {
    /// Reads one array of strings whole, and gives its first string's place (nil for an empty or malformed array).
    mutating func firstValue() -> (range: Range<Int>, escaped: Bool)? {
        guard take(UInt8(ascii: "[")) else { return nil }
        if take(UInt8(ascii: "]")) { return nil }
        let first = stringRange()
        guard first != nil else { return nil }
        while take(UInt8(ascii: ",")) {
            guard stringRange() != nil else { return nil }
        }
        _ = take(UInt8(ascii: "]"))
        return first
    }
}
