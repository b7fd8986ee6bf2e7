import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real OpenLDAP slapd (Debian's `slapd`) on 127.0.0.1 with a temporary configuration: an mdb database for
/// `dc=ent,dc=test` with the core, cosine and inetOrgPerson schemas, its base entry loaded. Stopped when released.
public final class LDAPServer: @unchecked Sendable {
    // @unchecked Sendable: the process handle is only touched by the test that owns the server.
    public static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/slapd") }

    public static let suffix = "dc=ent,dc=test"
    public static let admin = "cn=admin,dc=ent,dc=test"
    public static let password = "aafd-test-only"

    public let folder = TemporaryDirectory("slapd")
    public let port: Int
    public var url: String { "ldap://127.0.0.1:\(port)/" }
    private var process: ChildProcess?

    public init() throws {
        let dir = folder.path
        _ = folder.folder("db")
        port = try SSHServer.freePort()
        let config = folder.write(
            "slapd.conf",
            """
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            pidfile \(dir)/slapd.pid
            argsfile \(dir)/slapd.args
            modulepath /usr/lib/ldap
            moduleload back_mdb
            database mdb
            maxsize 268435456
            suffix "\(LDAPServer.suffix)"
            rootdn "\(LDAPServer.admin)"
            rootpw \(LDAPServer.password)
            directory \(dir)/db
            index objectClass eq
            index uid eq
            index member eq

            """
        )
        // -d 0: in the foreground, so that the test owns the process.
        process = try startListening(
            "/usr/sbin/slapd",
            ["-f", config, "-h", url, "-d", "0"],
            port: port,
            log: dir + "/slapd.log",
            name: "slapd"
        )
        let base = folder.write(
            "base.ldif",
            "dn: \(LDAPServer.suffix)\nobjectClass: dcObject\nobjectClass: organization\ndc: ent\no: ENT test\n"
        )
        let added = try ldap("/usr/bin/ldapadd", ["-f", base])
        guard added.status == 0 else { throw SSHServerError("cannot load the base entry: \(added.stderr)") }
    }

    /// Runs an OpenLDAP client tool bound as the administrator.
    public func ldap(_ tool: String, _ arguments: [String]) throws -> ProcessResult {
        try ChildProcess.run(tool, ["-x", "-H", url, "-D", LDAPServer.admin, "-w", LDAPServer.password] + arguments)
    }

    /// `ldapsearch` under the suffix: the matching entries' values of `attributes` (`-LLL`, unwrapped), as lines.
    public func search(_ filter: String, _ attributes: [String] = ["dn"]) throws -> [String] {
        let result = try ldap(
            "/usr/bin/ldapsearch",
            ["-LLL", "-o", "ldif-wrap=no", "-b", LDAPServer.suffix, filter] + attributes
        )
        guard result.status == 0 || result.status == 32 else { throw SSHServerError("ldapsearch: \(result.stderr)") }
        return result.stdout.split(separator: "\n").map(String.init)
    }

    deinit { stop() }

    public func stop() {
        guard let process else { return }
        process.signal(SIGTERM)
        if process.wait(timeout: 10) == nil { process.signal(SIGKILL) }
        self.process = nil
    }
}
