#!/usr/bin/env bash
# Kill at any moment, at scale (issue 10 item 17): SIGKILLs `aafd import`, `purge`, `consent grant|revoke` and
# `fetch` at N random moments and checks after each that the database is either the state before or the state
# after the operation (never in between), passes `PRAGMA integrity_check`, that the spool holds no half file
# taken as whole, and that the next run succeeds.
# Usage: scripts/kill-test.sh [N]   (default 1000; CI runs a 25-kill version). Needs root (a loopback sshd).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
[ "$(id -u)" -eq 0 ] || { echo "needs root (sshd)"; exit 1; }
source scripts/install-deps.sh
bin="${AAFD_BIN:-$(swift build --show-bin-path)/aafd}"
[ -x "$bin" ] || swift build --product aafd >/dev/null
work=$(mktemp -d /tmp/aafd-kill.XXXXXX)
chmod 700 "$work"
trap 'rm -rf "$work"' EXIT
source scripts/lib-sshd.sh
mkdir -p -m 0700 "$work/drop"
start_sshd "$work/server" "$work/drop"
# start_sshd's trap stops sshd; remove the work folder too.
trap "kill \$(cat '$work/server/sshd.pid' 2>/dev/null) 2>/dev/null || true; rm -rf '$work'" EXIT
fixtures="$PWD/Fixtures/ent1d"
big="$work/big"
mkdir -p "$big"
"$(dirname "$bin")/aafd-fixtures" delivery --out "$big" --pupils 3000 --schools 5 --date 20250905 --part-size 500 >/dev/null 2>&1 \
    || { swift build --product aafd-fixtures >/dev/null; "$(dirname "$bin")/aafd-fixtures" delivery --out "$big" --pupils 3000 --schools 5 --date 20250905 --part-size 500 >/dev/null; }
staff=$(grep -o '<attr name="ENTPersonJointure"><value>[0-9]*' "$fixtures/20250901/"*PersEducNat* | head -1 | sed 's/.*<value>//')

# The directory's content, as a stable text: people, links, consents (what a kill must leave whole).
snapshot() {
    sqlite3 "$1" "SELECT category, jointure, hex(attrs), departed_on FROM persons ORDER BY 1, 2;
                  SELECT jointure, field, recorded_by FROM consents ORDER BY 1, 2; SELECT count(*) FROM guardianships;
                  SELECT count(*) FROM memberships;" 2>&1
}

fresh() {   # fresh state with day 1 imported; prints the config path
    local d="$work/run"
    rm -rf "$d"; mkdir -p -m 0700 "$d"
    cat > "$d/aafd.toml" <<TOML
[directory]
database = "$d/state/aafd.sqlite3"
[sftp]
host = "127.0.0.1"
port = $SSHD_PORT
user = "$(id -un)"
private_key = "$work/server/client_rsa"
known_hosts = "$work/server/known_hosts"
remote_dir = "$work/drop"
io_timeout_seconds = 10
TOML
    chmod 600 "$d/aafd.toml"
    "$bin" import --config "$d/aafd.toml" --from-dir "$fixtures/20250901" >/dev/null 2>&1
    echo "$d/aafd.toml"
}

ops=(import consent-grant consent-revoke purge fetch)
failures=0
for i in $(seq "$n"); do
    op=${ops[$(( RANDOM % ${#ops[@]} ))]}
    config=$(fresh)
    db="$(dirname "$config")/state/aafd.sqlite3"
    rm -rf "$work/drop"/*
    case "$op" in
        import) cmd=("$bin" import --config "$config" --from-dir "$big" --accept-departures) ;;
        consent-grant) cmd=("$bin" consent grant "$staff" --field home-address --by kill-test --config "$config") ;;
        consent-revoke)
            "$bin" consent grant "$staff" --field home-address --by kill-test --config "$config" >/dev/null 2>&1
            cmd=("$bin" consent revoke "$staff" --field home-address --by kill-test --config "$config") ;;
        purge) cmd=("$bin" purge --config "$config") ;;
        fetch) cp "$big"/*.xml "$work/drop/"; cmd=("$bin" fetch --config "$config") ;;
    esac
    before=$(snapshot "$db")
    # The state after, from a copy run to the end.
    cp -a "$(dirname "$config")" "$work/copy"
    sed "s#$(dirname "$config")#$work/copy#g" "$config" > "$work/copy/aafd.toml"; chmod 600 "$work/copy/aafd.toml"
    if [ "$op" = fetch ]; then after="$before"; else
        copycmd=("${cmd[@]/$config/$work/copy/aafd.toml}")
        "${copycmd[@]}" >/dev/null 2>&1 || true
        after=$(snapshot "$work/copy/state/aafd.sqlite3")
    fi
    rm -rf "$work/copy"
    # Kill at a random moment within the first 1.5 s.
    delay=$(awk -v r="$RANDOM" 'BEGIN{printf "%.3f", (r % 1500) / 1000}')
    "${cmd[@]}" >/dev/null 2>&1 & pid=$!
    sleep "$delay"; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    now=$(snapshot "$db")
    check=$(sqlite3 "$db" "PRAGMA integrity_check;" 2>&1)
    problem=""
    [ "$check" = "ok" ] || problem="integrity_check: $check"
    [ "$now" = "$before" ] || [ "$now" = "$after" ] || problem="$problem; the directory is neither the state before nor after"
    # The next run succeeds. After a killed fetch, `aafd import` must download again whatever has no durable record
    # and import the whole delivery: a half file is never taken as whole.
    if [ "$op" = fetch ]; then
        "$bin" import --config "$config" --accept-departures >/dev/null 2>&1 || problem="$problem; the next import failed"
        pupils=$(sqlite3 "$db" "SELECT count(*) FROM persons WHERE category = 'Eleve' AND departed_on IS NULL;")
        [ "$pupils" = "3000" ] || problem="$problem; after the next import $pupils pupils, not 3000"
    else
        "$bin" status --config "$config" >/dev/null 2>&1 || problem="$problem; the next run failed"
    fi
    if [ -n "$problem" ]; then
        failures=$((failures + 1)); echo "kill $i ($op after ${delay}s): $problem"
        # Keep what is needed to understand it (counts and hashes of the directory; no personal data is printed).
        diag="${KILL_DIAG_DIR:-/tmp/aafd-kill-failures}/$i-$op"
        mkdir -p -m 0700 "$diag"
        printf '%s\n' "$before" > "$diag/before"; printf '%s\n' "$after" > "$diag/after"; printf '%s\n' "$now" > "$diag/now"
        cp -a "$(dirname "$config")/state" "$diag/state" 2>/dev/null || true
        echo "  kept in $diag (synthetic data only)"
    fi
    [ $(( i % 100 )) -ne 0 ] || echo "... $i kills, $failures failures" >&2
done
echo "kill test: $((n - failures)) of $n kills left the directory whole, the spool consistent and the next run working"
[ "$failures" -eq 0 ]
