/// aafd's exit codes (sysexits.h), documented in Docs/operations.md.
public enum ExitStatus: Int32, Sendable {
    /// Done.
    case ok = 0
    /// Unexpected internal failure (a bug, or the database failed mid-import); nothing was imported.
    case failure = 1
    /// EX_DATAERR: delivery refused (malformed, incomplete, older than the last, mass-departure guard).
    case dataError = 65
    /// EX_NOINPUT: the person or file asked for does not exist.
    case noInput = 66
    /// EX_UNAVAILABLE: the SFTP server is unreachable or no new delivery is there yet.
    case unavailable = 69
    /// EX_CANTCREAT: an output file cannot be created (it exists, or its folder refuses).
    case cantCreate = 73
    /// EX_IOERR: the database or the state directory cannot be read or written.
    case ioError = 74
    /// EX_TEMPFAIL: another aafd run holds the lock; try later.
    case tempFail = 75
    /// EX_PROTOCOL: the deliveries were imported, but the server refused to delete its copies (R10): an incident
    /// is open and aafd retries the deletions on every run.
    case remoteNotDeleted = 76
    /// EX_NOPERM: host key or authentication refused.
    case noPermission = 77
    /// EX_CONFIG: configuration error.
    case config = 78
}

/// An error that ends the command with a given exit status and a message on stderr.
public struct CommandFailure: MessageError {
    public var status: ExitStatus
    public var message: String

    public init(_ status: ExitStatus, _ message: String) {
        (self.status, self.message) = (status, message)
    }
}
