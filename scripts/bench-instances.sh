#!/usr/bin/env bash
# Many communes on one host (issue 25): N `aafd run` daemons started in the same second against one loopback
# sshd, as N aafd@NAME units would be at boot. Each has a fresh directory, so each catches up at start: at once
# without a spread, at its own offset within [schedule] spread_minutes with one. Prints, for each spread, when
# the server saw each connection (seconds after the start, from sshd's own log), how many fell in the busiest
# second, and the memory of an idle daemon (RSS and PSS, the latter sharing the binary's pages fairly).
# Usage: scripts/bench-instances.sh [N] [SPREAD_MINUTES]   (default 50 instances; spreads 0 and 2)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then exec sudo -E "$0" "$@"; fi
source scripts/install-deps.sh
swift build -c release --product aafd >/dev/null
bin="$(swift build -c release --show-bin-path)"
aafd_bin="${AAFD_BIN:-$bin/aafd}"
n="${1:-50}"
spread="${2:-2}"
out="$PWD/bench-out/instances"
rm -rf "$out"
mkdir -p -m 0700 "$out"
source scripts/lib-sshd.sh
mkdir -p "$out/drop"
start_sshd "$out/sshd" "$out/drop"
# Again in the foreground, every line of its log stamped with the time it was read.
kill "$(cat "$out/sshd/sshd.pid")"
sleep 0.3
sed -i -e 's/^LogLevel .*/LogLevel INFO/' -e 's/^MaxStartups .*/MaxStartups 200/' "$out/sshd/sshd_config"
(/usr/sbin/sshd -D -e -f "$out/sshd/sshd_config" 2>&1 | while IFS= read -r line; do
    printf '%s %s\n' "$(date +%s.%N)" "$line"
done >"$out/sshd/stamped.log") &
for _ in $(seq 100); do grep -q "Server listening" "$out/sshd/stamped.log" 2>/dev/null && break; sleep 0.1; done
trap 'pkill -f "sshd -D -e -f $out/sshd/sshd_config" 2>/dev/null || true; pkill -f "aafd run --config $out/" 2>/dev/null || true' EXIT

measure() {
    local minutes="$1"
    local dir="$out/spread-$minutes"
    mkdir -p -m 0700 "$dir"
    for i in $(seq "$n"); do
        mkdir -p -m 0700 "$dir/c$i"
        cat >"$dir/c$i.toml" <<TOML
[directory]
database = "$dir/c$i/aafd.sqlite3"
[sftp]
host = "127.0.0.1"
port = $SSHD_PORT
user = "$(id -un)"
private_key = "$out/sshd/client_rsa"
known_hosts = "$out/sshd/known_hosts"
remote_dir = "$out/drop"
[convention]
commune = "Commune $i"
publisher = "Bench"
[schedule]
time = "03:00"
retry_minutes = 720
spread_minutes = $minutes
TOML
    done
    local before
    before=$(grep -c "Accepted publickey" "$out/sshd/stamped.log" || true)
    local start
    start=$(date +%s.%N)
    for i in $(seq "$n"); do
        "$aafd_bin" run --config "$dir/c$i.toml" >"$dir/c$i.log" 2>&1 &
    done
    # Every daemon connects once (nothing to fetch: it then waits retry_minutes).
    local deadline=$(( $(date +%s) + minutes * 60 + 60 ))
    while [ "$(( $(grep -c "Accepted publickey" "$out/sshd/stamped.log" || true) - before ))" -lt "$n" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || { echo "only $(( $(grep -c "Accepted publickey" "$out/sshd/stamped.log") - before )) of $n connected"; break; }
        sleep 1
    done
    sleep 2
    local rss=0 pss=0 count=0 max=0
    for pid in $(pgrep -f "aafd run --config $dir/"); do
        local r p
        r=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
        p=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
        rss=$(( rss + r )); pss=$(( pss + p )); count=$(( count + 1 ))
        [ "$r" -gt "$max" ] && max=$r
    done
    pkill -f "aafd run --config $dir/" || true
    grep "Accepted publickey" "$out/sshd/stamped.log" | tail -n "$n" | awk -v s="$start" '{printf "%.1f\n", $1 - s}' \
        | sort -n >"$dir/connections"
    echo "spread_minutes = $minutes: $count daemons"
    echo "  connections seen by sshd, seconds after the start: first $(head -1 "$dir/connections"), last $(tail -1 "$dir/connections")"
    echo "  busiest second: $(awk '{print int($1)}' "$dir/connections" | sort | uniq -c | sort -rn | head -1 | awk '{print $1}') connections"
    echo "  idle daemon: RSS $(( rss / count / 1024 )) MiB on average (max $(( max / 1024 )) MiB), PSS $(( pss / count / 1024 )) MiB; all $count: PSS $(( pss / 1024 )) MiB"
}

measure 0
measure "$spread"
