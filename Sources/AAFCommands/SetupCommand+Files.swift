import AAFFileSystem
import AAFModel
import AAFTransfer
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where setup writes, checked before anything is written: the folder must be root's (or, when aafd runs as
/// another user, that user's) and writable by its owner only; root never writes where a less trusted user can
/// (ADR 0015). Returns the owner to give the new file: the `aafd` user when root writes on an installed aafd.
enum SetupFiles {
    static func checkFolder(of path: String, what: String) throws {
        let folder = PathTrust.folder(of: path)
        var info = stat()
        guard lstat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw CommandFailure(.cantCreate, "the folder of the \(what), \(folder), does not exist; create it first")
        }
        let me = geteuid()
        guard info.st_uid == me || info.st_uid == 0, info.st_mode & 0o022 == 0 else {
            throw CommandFailure(
                .config,
                "\(folder) is writable by another user than root\(me == 0 ? "" : " or you"): the \(what) is not written "
                    + "there (make it root's, mode 0755, or choose another path in the configuration)"
            )
        }
    }

    /// The user and group the files are given to: `aafd`'s when root runs setup and that user exists.
    static var owner: (uid: uid_t, gid: gid_t)? {
        guard geteuid() == 0, let user = getpwnam(ServiceIdentity.userName) else { return nil }
        return (user.pointee.pw_uid, user.pointee.pw_gid)
    }

    /// Writes `text` at `path` (temporary name, fsync, rename), given to `owner` when set, with `mode`.
    static func write(_ text: String, to path: String, mode: mode_t, owner: (uid: uid_t, gid: gid_t)?) throws {
        do {
            let file = try AtomicFile(path, suffix: ".setup-tmp")
            if let code = Array(text.utf8).withUnsafeBytes({ FileDescriptor.writeAll(file.fd, $0) }) {
                file.abandon()
                throw CommandFailure(.cantCreate, "cannot write \(path) (errno \(code))")
            }
            if let owner, fchown(file.fd, owner.uid, owner.gid) != 0 {
                let code = errno
                file.abandon()
                throw CommandFailure(.cantCreate, "cannot give \(path) to the aafd user (errno \(code))")
            }
            try file.commit(mode: mode)
        } catch let failure as AtomicFile.Failure {
            throw CommandFailure(.cantCreate, "\(failure)")
        }
    }

    /// The host keys `host`:`port` offers (``HostKeyProbe``); unreachable is exit 69, before anything is written.
    static func offeredKeys(host: String, port: Int, configuration: Configuration) throws -> [HostKeyProbe.Offered] {
        do {
            return try HostKeyProbe.offered(
                host: host,
                port: port,
                timeoutSeconds: configuration.sftp?.connectTimeoutSeconds ?? 30
            )
        } catch let error as TransferError {
            throw CommandFailure(.unavailable, error.message + "; nothing was written")
        }
    }

    /// The host key of `host`:`port` whose fingerprint is `fingerprint`; none is exit 77, nothing written (R17).
    static func matchingKey(
        _ fingerprint: String,
        host: String,
        port: Int,
        configuration: Configuration
    ) throws -> HostKeyProbe.Offered {
        let offered = try offeredKeys(host: host, port: port, configuration: configuration)
        return try matching(HostKeyProbe.normalised(fingerprint), in: offered, host: host, port: port)
    }

    /// The key among `offered` whose fingerprint is `wanted`; none is exit 77, nothing written (R17).
    static func matching(
        _ wanted: String,
        in offered: [HostKeyProbe.Offered],
        host: String,
        port: Int
    ) throws -> HostKeyProbe.Offered {
        guard let match = offered.first(where: { $0.fingerprint == wanted }) else {
            throw CommandFailure(
                .noPermission,
                "no host key of \(OutsideText.escaped(host)):\(port) has the fingerprint \(wanted) (offered: "
                    + offered.map { "\($0.type) \($0.fingerprint)" }.joined(separator: ", ")
                    + "): nothing was written. Check the fingerprint with the académie (read it again, by phone); "
                    + "a server showing another key may not be the académie's (R17)"
            )
        }
        return match
    }

    /// Pins `match` for `host`:`port` in the known_hosts file `path` (0644: the unit's user reads it).
    static func pin(
        _ match: HostKeyProbe.Offered,
        host: String,
        port: Int,
        at path: String,
        owner: (uid: uid_t, gid: gid_t)?
    ) throws {
        try write(match.knownHostsLine(host: host, port: port) + "\n", to: path, mode: 0o644, owner: owner)
        print("Pinned \(match.type) \(match.fingerprint) in \(path).")
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}

/// The request to the académie (annexe 4), in French.
enum SetupRequest {
    static func text(
        commune: String,
        academy: String,
        contact: String?,
        sourceAddress: String?,
        routeHint: String?,
        conventionReference: String?,
        publicLine: String,
        fingerprint: String
    ) -> String {
        let missing = "[à compléter]"
        let address =
            sourceAddress
            ?? "\(missing) (l'adresse IP publique de sortie de la mairie"
            + (routeHint.map { "; adresse locale de cette machine vers le serveur : \($0)" } ?? "") + ")"
        return """
            Objet : ENT premier degré – accès SFTP aux extractions de l'annuaire (AAF) – \(commune)

            Madame, Monsieur,

            Dans le cadre de la convention tripartite relative à l'ENT du premier degré\(conventionReference.map { " (référence \($0))" } ?? "") \
            (annexe 4, transmission des données), la commune vous adresse ci-dessous la clé publique avec laquelle \
            elle se connectera au serveur SFTP de dépôt de l'\(academy.isEmpty ? "académie" : academy).

            Commune : \(commune.isEmpty ? missing : commune)
            Contact : \(contact ?? missing)
            Adresse IP source de la connexion : \(address)

            Clé publique (RSA 2048 bits) :
            \(publicLine)

            Empreinte de la clé : \(fingerprint)

            Merci de nous indiquer en retour le nom du serveur, son port, l'identifiant de connexion et le dossier de \
            dépôt, et de nous communiquer par un autre canal (téléphone, courrier signé) l'empreinte SHA256 de la clé \
            d'hôte du serveur, que nous vérifierons avant la première connexion.

            Veuillez agréer, Madame, Monsieur, nos salutations distinguées.
            """
    }

    /// The local address the kernel would use to reach `host` (a hint: behind NAT the public one differs).
    static func localAddress(towards host: String, port: Int) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let got = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard got == 0 else { return nil }
        var name = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let ok = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &name, socklen_t(name.count), nil, 0, NI_NUMERICHOST)
            }
        }
        return ok == 0 ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }
}
