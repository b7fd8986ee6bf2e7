import AAFFileSystem
import AAFModel
import AAFTestSupport
import AAFTransfer
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The spool on its own: durable files, their manifest, and what it refuses to trust (R10, R18).
@Suite("The spool")
struct SpoolTests {
    private let date = ExtractDate(iso: "2025-09-01")!

    /// A spool with one committed delivery of two files.
    private func spoolWithDelivery() throws -> (TemporaryDirectory, Spool, String) {
        let temp = TemporaryDirectory("spool")
        let spool = try Spool(root: temp.file("spool"))
        let folder = spool.folder(for: Delivery(mode: .complet, date: date))
        var entries: [Spool.Entry] = []
        for (name, text) in [
            ("ENT1D_Complet_20250901_Eleve_0000.xml", "<ficAlimMENESR/>\n"),
            ("ENT1D_Complet_20250901_EtabEducNat_0000.xml", "<ficAlimMENESR></ficAlimMENESR>\n"),
        ] {
            let bytes = Array(text.utf8)
            entries.append(
                try spool.store(name, in: folder, expectedSize: bytes.count) { writer in
                    try bytes.withUnsafeBytes { try writer.write($0) }
                }
            )
        }
        try spool.commit(entries, in: folder)
        return (temp, spool, folder)
    }

    @Test("a committed delivery verifies, hashes included, and is listed oldest first")
    func committed() throws {
        let (temp, spool, folder) = try spoolWithDelivery()
        defer { withExtendedLifetime(temp) {} }
        try spool.verify(folder, hashes: true)
        #expect(spool.manifest(folder).count == 2)
        #expect(spool.deliveries().count == 1)
        var info = stat()
        #expect(stat(folder, &info) == 0 && info.st_mode & 0o777 == 0o700)
    }

    @Test("a byte changed after download is caught by the manifest's SHA-256; the sizes alone do not see it")
    func changedByte() throws {
        let (temp, spool, folder) = try spoolWithDelivery()
        defer { withExtendedLifetime(temp) {} }
        let path = folder + "/ENT1D_Complet_20250901_Eleve_0000.xml"
        try Data("<ficAlimMENESX/>\n".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        try spool.verify(folder, hashes: false)
        #expect(throws: TransferError.self) { try spool.verify(folder, hashes: true) }
    }

    @Test("a delivery file the manifest does not list, a missing file, or a FIFO is never trusted (R18)")
    func notInManifest() throws {
        let (temp, spool, folder) = try spoolWithDelivery()
        defer { withExtendedLifetime(temp) {} }
        let extra = folder + "/ENT1D_Complet_20250901_PersEducNat_0000.xml"
        #expect(
            FileManager.default.createFile(
                atPath: extra,
                contents: Data("x".utf8),
                attributes: [.posixPermissions: 0o600]
            )
        )
        #expect(throws: (any Error).self) { try spool.verify(folder) }
        try FileManager.default.removeItem(atPath: extra)
        try spool.verify(folder)
        let eleve = folder + "/ENT1D_Complet_20250901_Eleve_0000.xml"
        try FileManager.default.removeItem(atPath: eleve)
        #expect(throws: TransferError.self) { try spool.verify(folder) }
        #expect(mkfifo(eleve, 0o600) == 0)
        #expect(throws: TransferError.self) { try spool.verify(folder, hashes: true) }
    }

    @Test("a download shorter than announced leaves no file, not even a temporary one")
    func shortDownload() throws {
        let temp = TemporaryDirectory("spool-short")
        let spool = try Spool(root: temp.file("spool"))
        let folder = spool.folder(for: Delivery(mode: .delta, date: date))
        #expect(throws: TransferError.self) {
            try spool.store("ENT1D_Delta_20250901_Eleve_0000.xml", in: folder, expectedSize: 100) { writer in
                try Array("short".utf8).withUnsafeBytes { try writer.write($0) }
            }
        }
        try spool.waitForFiles()
        #expect((try? FileManager.default.contentsOfDirectory(atPath: folder))?.isEmpty ?? true)
    }

    @Test("a name with a path or shell characters is refused before anything is written")
    func unsafeName() throws {
        let temp = TemporaryDirectory("spool-name")
        let spool = try Spool(root: temp.file("spool"))
        let folder = spool.folder(for: Delivery(mode: .complet, date: date))
        for name in ["../escape.xml", "A;`id`_Complet_20250901_Eleve_0000.xml", String(repeating: "a", count: 250)] {
            #expect(throws: TransferError.self) {
                try spool.store(name, in: folder, expectedSize: 0) { _ in }
            }
        }
        #expect(!FileManager.default.fileExists(atPath: temp.file("escape.xml")))
    }

    @Test("whether a folder is the spool's: a relative one-component path (`--from-dir d`) answers, never traps")
    func containsRelative() throws {
        let (temp, spool, folder) = try spoolWithDelivery()
        defer { withExtendedLifetime(temp) {} }
        #expect(spool.contains(folder))
        #expect(!spool.contains("d"))
        #expect(!spool.contains("."))
    }
}

/// The key and its passphrase are checked before any connection (R16).
@Suite("The SFTP key's checks")
struct KeyCheckTests {
    private func settings(key: String, passphraseFile: String? = nil) -> SFTPSettings {
        var s = SFTPSettings(
            host: "127.0.0.1",
            user: "u",
            privateKey: key,
            knownHosts: "/dev/null",
            remoteDirectory: "/"
        )
        s.passphraseFile = passphraseFile
        return s
    }

    @Test("a key readable by others, a missing key, or a passphrase file readable by others is refused with the fix")
    func modes() throws {
        let temp = TemporaryDirectory("keys")
        let key = temp.write("id_rsa", "not a key\n")
        chmod(key, 0o644)
        #expect {
            try PrivateKey.check(settings(key: key))
        } throws: { error in
            (error as? TransferError)?.code == .keyFile && "\(error)".contains("chmod 600 \(key)")
        }
        #expect {
            try PrivateKey.check(settings(key: temp.file("absent")))
        } throws: { error in
            (error as? TransferError)?.code == .keyFile && "\(error)".contains("cannot read")
        }
        chmod(key, 0o600)
        let passphrase = temp.write("passphrase", "secret\n")
        chmod(passphrase, 0o640)
        #expect {
            try PrivateKey.check(settings(key: key, passphraseFile: passphrase))
        } throws: { error in
            "\(error)".contains("passphrase file") && "\(error)".contains("chmod 600")
        }
    }
}
