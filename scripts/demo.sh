#!/usr/bin/env bash
# The main job on its embedded default, the real way: builds aafd, starts a throwaway OpenSSH sshd on 127.0.0.1
# (fresh host key, pinned in a known_hosts file; a fresh RSA-2048 client key), drops a synthetic ENT1D delivery in
# its folder, runs `aafd import` over SFTP into ./demo/state/aafd.sqlite3, prints `aafd status`, stops the server.
# Nothing leaves this machine; nobody in the delivery is real. Needs root (sshd) or sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then exec sudo -E "$0" "$@"; fi
AAFD_NO_TEST_SERVERS=1 source scripts/install-deps.sh
swift build -c release --product aafd >/dev/null
swift build -c release --product aafd-fixtures >/dev/null
bin="$(swift build -c release --show-bin-path)"

source scripts/lib-sshd.sh
demo="$PWD/demo"
rm -rf "$demo"
mkdir -p -m 0700 "$demo" "$demo/drop"

# The académie's side: a loopback sshd with default algorithms, a fresh RSA-2048 client key, the host key pinned.
start_sshd "$demo/server" "$demo/drop"
echo "pinned host key: $(ssh-keygen -lf "$demo/server/known_hosts" | cut -d' ' -f2)"

"$bin/aafd-fixtures" delivery --out "$demo/drop" --pupils 500 --schools 5 --date 20250901 --part-size 300

cat > "$demo/aafd.toml" <<TOML
[directory]
database = "$demo/state/aafd.sqlite3"

[sftp]
host = "127.0.0.1"
port = $SSHD_PORT
user = "$(id -un)"
private_key = "$demo/server/client_rsa"
known_hosts = "$demo/server/known_hosts"
remote_dir = "$demo/drop"
TOML
"$bin/aafd" import --config "$demo/aafd.toml"
echo
"$bin/aafd" status --config "$demo/aafd.toml"
# The ENT reads the directory through its SQL views (Docs/ent-interface.md), with any SQLite client: here the
# sqlite3 shell, read-only, counts the pupils of each class of the first school.
echo
school=$(sqlite3 -readonly "$demo/state/aafd.sqlite3" "SELECT uai FROM ent_structures ORDER BY uai LIMIT 1")
echo "pupils per class at $school (sqlite3, through the ent_ views):"
sqlite3 -readonly -column -header "$demo/state/aafd.sqlite3" \
    "SELECT code, label, members FROM ent_classes WHERE uai = '$school' ORDER BY code"
