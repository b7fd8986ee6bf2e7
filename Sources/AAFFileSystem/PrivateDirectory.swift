import Foundation

/// A folder only its owner may enter (0700), created with its parents when missing: the state folder, the
/// database's folder, the spool and its deliveries.
public enum PrivateDirectory {
    public enum Failure: Error, Sendable {
        /// Something that is not a folder is in the way.
        case notADirectory
        /// It could not be created (permissions, a read-only or full file system).
        case cannotCreate
    }

    public static func ensure(_ path: String) throws(Failure) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .notADirectory }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw .cannotCreate
        }
    }
}
