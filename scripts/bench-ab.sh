#!/usr/bin/env bash
# An A/B of first imports, interleaved (issue 24): in each round the floor (xmllint --stream --noout), then build A,
# then build B, each into an empty directory, on the same delivery; a ratio to that round's floor for each. This
# machine's speed drifts by tens of percent within minutes, so two builds are compared within rounds, never across
# runs. Usage: scripts/bench-ab.sh A_BINARY [B_BINARY] [PUPILS] [ROUNDS]; B defaults to this tree's shipped build
# (scripts/lib-bench.sh builds it), PUPILS to 100000, ROUNDS to 6. Work files in bench-out/.
source "$(dirname "$0")/lib-bench.sh"
a="${1:?usage: scripts/bench-ab.sh A_BINARY [B_BINARY] [PUPILS] [ROUNDS]}"
b="${2:-$aafd_bin}"
n="${3:-100000}"
rounds="${4:-6}"
d=$(delivery "$n")
state="$out/ab-state"
config="$out/ab.toml"
printf '[directory]\ndatabase = "%s/aafd.sqlite3"\n[import]\ndeparture_guard_percent = 100\n' "$state" >"$config"
cat "$d"/*.xml >/dev/null # the page cache warm for every reader
echo "== first import of $n pupils: A $a, B $b"
for round in $(seq "$rounds"); do
    read -r f _ < <(measure xmllint --stream --noout "$d"/*.xml)
    line="round $round: floor $f"
    for bin in "$a" "$b"; do
        rm -rf "$state"
        mkdir -p -m 0700 "$state"
        read -r s r < <(measure "$bin" import --config "$config" --from-dir "$d")
        line="$line | $s s ($(awk -v a="$s" -v b="$f" 'BEGIN{printf "%.2f", a/b}')×) $((r / 1024)) MB"
    done
    echo "$line"
done
