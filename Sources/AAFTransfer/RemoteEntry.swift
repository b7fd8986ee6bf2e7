import Foundation

/// One entry of the remote folder, as the server listed it and, where the listing did not say enough, as `stat`
/// resolved it.
public struct RemoteEntry: Sendable, Hashable {
    /// What the entry is, once resolved.
    public enum Kind: Sendable, Hashable {
        /// A regular file: a candidate delivery file.
        case file
        /// A regular file reached through a symbolic link that stays inside `remote_dir`.
        case linkedFile
        /// The server gave no type, even on `stat` (SFTP v3 lets it omit permissions): taken as a file, since
        /// opening anything else for reading fails with a clear error.
        case untypedFile
        /// Anything else, with why it is not taken (a folder, a link leaving `remote_dir`, a device…).
        case notTaken(String)
    }

    public var name: String
    public var size: Int
    public var kind: Kind

    /// Whether the entry is read as a file.
    public var isFile: Bool {
        switch kind {
        case .file, .linkedFile, .untypedFile: true
        case .notTaken: false
        }
    }
}
