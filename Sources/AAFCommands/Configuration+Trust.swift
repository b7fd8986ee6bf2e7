import AAFFileSystem
import AAFModel
import AAFTransfer
import Foundation

extension Configuration {
    /// The files whose content decides what aafd trusts or runs, besides the configuration itself (checked as it is
    /// read): the pinned host keys (whoever can write them chooses the server, R17), the programs the alert command
    /// and the hook start. Each must belong to the user aafd runs as or to root and be writable by its owner only,
    /// and so must the folder holding it (unless that folder is root's and sticky, as /tmp): otherwise every run and
    /// `check-config` refuse with 78 and the fix (issue 20). The key and its passphrase are checked as secrets (R16).
    /// - Returns: one message per refused file (empty: all trusted).
    func untrustedFiles() -> [String] {
        var files: [(path: String, what: String)] = []
        if let sftp { files.append((sftp.knownHosts, "[sftp] known_hosts")) }
        for (command, what) in [(alertCommand, "[alert] command"), (afterImportCommand, "[hooks] after_import")] {
            if let program = command.flatMap(Configuration.program(of:)) {
                files.append((program, "the program of \(what)"))
            }
        }
        var problems: [String] = []
        for (path, what) in files {
            do {
                try PathTrust.checkTrustedFile(path, what: what)
            } catch let refusal as PathTrust.Refusal {
                problems.append(refusal.message)
            } catch {
                problems.append("\(what) \(path): \(error)")
            }
        }
        return problems
    }

    /// The program a shell command starts, when its first word is an absolute path (`/usr/local/bin/alert --x`); a
    /// bare name is found through the fixed `PATH` of system folders, which only root can write.
    static func program(of command: String) -> String? {
        let first = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""
        return first.hasPrefix("/") ? first : nil
    }
}
