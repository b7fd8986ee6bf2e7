#!/usr/bin/env bash
# Benchmark of `aafd import` (release build) against `xmllint --stream --noout` over the same files, in the
# same run: first import into an empty directory, unchanged re-import, and peak RSS, at each size given
# (default: 10000 and 100000 pupils; ~1.5 guardians per pupil; parts of 20,000 records).
# Usage: scripts/bench-import.sh [PUPILS ...]     Output: a table on stdout; work files in bench-out/.
source "$(dirname "$0")/lib-bench.sh"
command -v /usr/bin/time >/dev/null 2>&1 || { [ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)

printf "%-8s %-9s %-10s %-12s %-12s %-8s %-12s %-8s %-9s %-9s\n" pupils MB xmllint_s first_s first/xml again_s again/xml rss1_MB rss2_MB xml_MB
for n in "${sizes[@]}"; do
    d=$(delivery "$n")
    mb=$(du -sm --apparent-size "$d" | cut -f1)
    sync
    # Warm the page cache once so that both tools read from memory.
    cat "$d"/*.xml >/dev/null
    read -r xs xrss < <(measure xmllint --stream --noout "$d"/*.xml)
    state="$out/state-$n"
    rm -rf "$state"
    mkdir -p -m 0700 "$state"
    printf '[directory]\ndatabase = "%s/aafd.sqlite3"\n' "$state" > "$out/aafd-$n.toml"
    read -r fs frss < <(measure "$aafd_bin" import --config "$out/aafd-$n.toml" --from-dir "$d")
    read -r as arss < <(measure "$aafd_bin" import --config "$out/aafd-$n.toml" --from-dir "$d")
    printf "%-8s %-9s %-10s %-12s %-12s %-8s %-12s %-8s %-9s %-9s\n" "$n" "$mb" "$xs" "$fs" \
        "$(awk -v a="$fs" -v b="$xs" 'BEGIN{printf "%.2f", a/b}')" "$as" "$(awk -v a="$as" -v b="$xs" 'BEGIN{printf "%.2f", a/b}')" \
        "$(( frss / 1024 ))" "$(( arss / 1024 ))" "$(( xrss / 1024 ))"
done
