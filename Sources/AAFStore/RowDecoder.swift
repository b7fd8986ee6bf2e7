/// A result row decoded **by column name** into a `Decodable` value (issue 22): the value's coding keys are the
/// columns' names, a missing column is an error (never a silent default), a NULL decodes only into an optional.
/// One place for what the registers' queries used to do by position.
struct RowDecoder: Decoder {
    let statement: Statement
    let columns: [String: Int32]
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ statement: Statement) {
        self.init(statement, columns: RowDecoder.columns(of: statement))
    }

    /// A decoder for the current row with the statement's columns already mapped (``columns(of:)``, once per
    /// statement, not per row: exports decode hundreds of thousands of rows).
    init(_ statement: Statement, columns: [String: Int32]) {
        self.statement = statement
        self.columns = columns
    }

    /// The statement's column names → indexes.
    static func columns(of statement: Statement) -> [String: Int32] {
        var columns: [String: Int32] = [:]
        for i in 0..<statement.columnCount { columns[statement.columnName(i)] = i }
        return columns
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Row<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "a row is keyed"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "a row is keyed"))
    }

    /// The row's columns by name.
    struct Row<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: RowDecoder
        var codingPath: [any CodingKey] { decoder.codingPath }
        var allKeys: [Key] { decoder.columns.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { decoder.columns[key.stringValue] != nil }

        func column(_ key: Key) throws -> Column {
            guard let index = decoder.columns[key.stringValue] else {
                throw DecodingError.keyNotFound(
                    key,
                    .init(codingPath: codingPath, debugDescription: "no column \(key.stringValue) in the result")
                )
            }
            return Column(statement: decoder.statement, index: index, codingPath: codingPath + [key])
        }

        func decodeNil(forKey key: Key) throws -> Bool { try column(key).decodeNil() }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try column(key).decode(type) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try column(key).decode(type) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try column(key).decode(type) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try column(key).decode(type) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try column(key).decode(type) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try column(key).decode(type) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try column(key).decode(type) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try column(key).decode(type) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try column(key).decode(type) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try column(key).decode(type) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try column(key).decode(type) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try column(key).decode(type) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try column(key).decode(type) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try column(key).decode(type) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try T(from: column(key)) }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type,
            forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> {
            throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "a column is flat"))
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch(
                [Any].self,
                .init(codingPath: codingPath, debugDescription: "a column is flat")
            )
        }

        func superDecoder() throws -> any Decoder { decoder }
        func superDecoder(forKey key: Key) throws -> any Decoder { decoder }
    }

    /// One column as a single value: text, integer or real; NULL only into an optional.
    struct Column: Decoder, SingleValueDecodingContainer {
        let statement: Statement
        let index: Int32
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "a column is flat"))
        }
        func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch(
                [Any].self,
                .init(codingPath: codingPath, debugDescription: "a column is flat")
            )
        }
        func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

        func decodeNil() -> Bool { statement.isNull(index) }

        private func present<T>(_ type: T.Type) throws {
            guard !statement.isNull(index) else {
                throw DecodingError.valueNotFound(type, .init(codingPath: codingPath, debugDescription: "NULL"))
            }
        }

        func decode(_ type: String.Type) throws -> String {
            try present(type)
            return statement.text(index) ?? ""
        }
        func decode(_ type: Bool.Type) throws -> Bool {
            try present(type)
            return statement.int(index) != 0
        }
        func decode(_ type: Double.Type) throws -> Double {
            try present(type)
            return statement.double(index)
        }
        func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
        private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
            try present(type)
            guard let value = T(exactly: statement.int(index)) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "out of range"))
            }
            return value
        }
        func decode(_ type: Int.Type) throws -> Int { try integer(type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }
    }
}

extension SQLiteConnection {
    /// The query's rows decoded by column name (``RowDecoder``).
    func decoded<T: Decodable>(_ type: T.Type, _ sql: String, _ bindings: [SQLValue] = []) throws -> [T] {
        try rows(sql, bindings) { try T(from: RowDecoder($0)) }
    }
}
