#!/usr/bin/env bash
# Download benchmark: `aafd fetch` against OpenSSH's `sftp` command line, same files, same loopback sshd, same run.
# Usage: scripts/bench-sftp.sh [--server openssh|proftpd|asyncssh-capped] [PUPILS]
#   asyncssh-capped: asyncssh answering every read with at most 32 KiB (a short read, issue 21)
#   (default OpenSSH sshd; 100000 pupils: a ~320 MB delivery; ~1.5 guardians per pupil)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then exec sudo -E "$0" "$@"; fi
source scripts/install-deps.sh
command -v /usr/bin/time >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
swift build -c release --product aafd >/dev/null
swift build -c release --product aafd-fixtures >/dev/null
bin="$(swift build -c release --show-bin-path)"
# AAFD_BIN: another aafd to time against the same server and files (an A/B with an earlier commit's build).
aafd_bin="${AAFD_BIN:-$bin/aafd}"
server=openssh
if [ "${1:-}" = "--server" ]; then server="$2"; shift 2; fi
n="${1:-100000}"
out="$PWD/bench-out"
d="$out/delivery-$n"
mkdir -p "$out"
if [ ! -f "$d/.complete" ]; then
    rm -rf "$d"
    "$bin/aafd-fixtures" delivery --out "$d" --pupils "$n" --schools $(( n / 250 + 1 )) --part-size 20000 --date 20250901 --no-quirks >/dev/null
    touch "$d/.complete"
fi
source scripts/lib-sshd.sh
rm -rf "$out/sftp-server"
login="$(id -un)"
remote="$d"
case "$server" in
    openssh) start_sshd "$out/sftp-server" "$d" ;;
    proftpd) start_proftpd "$out/sftp-server" "$d"; login="$PROFTPD_USER"; remote="/" ;;
    asyncssh-capped)
        mkdir -p -m 0700 "$out/sftp-server"
        ssh-keygen -q -t ed25519 -N '' -f "$out/sftp-server/host_ed25519"
        ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -f "$out/sftp-server/client_rsa"
        SSHD_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$out/sftp-server/host_ed25519.pub")" >"$out/sftp-server/known_hosts"
        chmod 0600 "$out/sftp-server/known_hosts"
        .build/test-venv/bin/python Fixtures/sftp-servers/asyncssh_sftp.py --port "$SSHD_PORT" \
            --host-key "$out/sftp-server/host_ed25519" --authorized-keys "$out/sftp-server/client_rsa.pub" \
            --root "$d" --read-cap 32768 >"$out/sftp-server/asyncssh.log" 2>&1 &
        asyncssh_pid=$!
        trap 'kill $asyncssh_pid 2>/dev/null || true' EXIT
        for _ in $(seq 50); do grep -q ready "$out/sftp-server/asyncssh.log" && break; sleep 0.2; done
        remote="/"
        ;;
    *) echo "unknown server $server (openssh, proftpd or asyncssh-capped)"; exit 64 ;;
esac
echo "server: $server"
bytes=$(cat "$d"/*.xml | wc -c)

# sftp then sync: a durable copy, as aafd makes one (each file fsynced before the remote copy may go, R10).
run_sftp() {
    rm -rf "$out/sftp-get" && mkdir -p "$out/sftp-get"
    sync
    printf 'get %s/*.xml %s/\n' "${remote%/}" "$out/sftp-get" > "$out/sftp-batch"
    /usr/bin/time -f "%e" -o "$out/t" sh -c "sftp -q -b '$out/sftp-batch' -i '$out/sftp-server/client_rsa' \
        -o UserKnownHostsFile='$out/sftp-server/known_hosts' -o BatchMode=yes -P $SSHD_PORT $login@127.0.0.1 >/dev/null && sync"
    cat "$out/t"
}
run_aafd() {
    rm -rf "$out/aafd-state" && mkdir -p -m 0700 "$out/aafd-state"
    sync
    cat > "$out/aafd-fetch.toml" <<TOML
[directory]
database = "$out/aafd-state/aafd.sqlite3"
[sftp]
host = "127.0.0.1"
port = $SSHD_PORT
user = "$login"
private_key = "$out/sftp-server/client_rsa"
known_hosts = "$out/sftp-server/known_hosts"
remote_dir = "$remote"
delete_after_download = false
TOML
    /usr/bin/time -f "%e" -o "$out/t" "$aafd_bin" fetch --config "$out/aafd-fetch.toml" >/dev/null 2>&1
    cat "$out/t"
}
cat "$d"/*.xml >/dev/null
echo "files: $(ls "$d"/*.xml | wc -l), $(( bytes / 1048576 )) MiB"
printf "%-6s %-10s %-10s %-12s %-12s %-8s\n" run sftp_s aafd_s sftp_MiB/s aafd_MiB/s ratio
for i in 1 2 3 4 5; do
    s=$(run_sftp); a=$(run_aafd)
    printf "%-6s %-10s %-10s %-12s %-12s %-8s\n" "$i" "$s" "$a" \
        "$(awk -v b="$bytes" -v t="$s" 'BEGIN{printf "%.0f", b/1048576/t}')" \
        "$(awk -v b="$bytes" -v t="$a" 'BEGIN{printf "%.0f", b/1048576/t}')" \
        "$(awk -v s="$s" -v a="$a" 'BEGIN{printf "%.2f", s/a}')"
done
echo "ratio = aafd throughput / sftp throughput (goal >= 0.9). Both durable: sftp is timed with a final sync;"
echo "aafd fetch fsyncs each file and its folder, hashes it (SHA-256) and writes the manifest."
