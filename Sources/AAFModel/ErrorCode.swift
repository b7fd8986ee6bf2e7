/// An extensible error code: a named value of one error domain, so that adding a code breaks no `switch` in
/// another module. Each domain declares its codes in a constrained extension (`ParseError.Code.malformed`,
/// `TransferError.Code.hostKey`).
public struct ErrorCode<Domain>: Hashable, Sendable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) {
        self.name = name
    }

    public var description: String { name }
}

/// An error whose message says what went wrong and what to do (never a personal value, R15); its description is
/// that message.
public protocol MessageError: Error, CustomStringConvertible {
    var message: String { get }
}

extension MessageError {
    public var description: String { message }
}
