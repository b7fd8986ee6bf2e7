#!/usr/bin/env bash
# The project's measuring stick (issue 24): for each size (default 10000 100000 pupils; 500000 when asked), in one
# run on the same files, with GNU time (elapsed seconds, peak RSS):
#   the floor (xmllint --stream --noout), a first import, an unchanged re-import, a Delta import (every record of the
#   delivery again as a Delta), status, export in each format, a full read of each ent_* view with the sqlite3 shell,
#   a purge (nothing due), a purge that publishes the ENT's copy, a dry-run purge of everything (R9 as of 2099), a
#   Complet that updates every person (the same jointures, every other value drawn again: the rentrée comes close),
#   and the Python peer (scripts/bench-peer.py: ElementTree + sqlite3, the same allow-list) over the same files.
#   Beside the floor, two rows say where the parse's time goes: libxml2's SAX alone with empty callbacks
#   (scripts/bench-sax.c, the floor of any parser built on it) and aafd's own parser alone, storing nothing
#   (`aafd-fixtures parse --links`: the parser thread's work while the writer is behind).
# Usage: scripts/bench.sh [PUPILS ...]   Output: one table per size on stdout; work files in bench-out/.
# AAFD_BIN: time another aafd on the same files (an A/B with an earlier commit's build; scripts/lib-bench.sh).
source "$(dirname "$0")/lib-bench.sh"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)

# The floor, the first import and the unchanged re-import are measured in BENCH_ROUNDS rounds (default 3), each
# round the three one after the other, the first import into an empty directory. This machine's speed drifts by
# ±15 % within minutes (one xmllint run took 2.41 s and the next import ran at the pace of a 3.5 s one), so each ratio
# is taken within its round: the table gives the median time, the median of the rounds' ratios and the highest peak
# RSS, and every round under it.
rounds="${BENCH_ROUNDS:-3}"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
middle() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

row() { # name seconds rss_kib floor [ratio]
    printf "%-36s %9s %8s %8s\n" "$1" "$2" "${5:-$(ratio "$2" "$4")}" "$(($3 / 1024))"
}

empty_state() {
    rm -rf "$state"
    mkdir -p -m 0700 "$state" "$state/ent"
    chmod 0700 "$state/ent"
}

for n in "${sizes[@]}"; do
    d=$(delivery "$n")
    delta="$out/delta-$n"
    if [ ! -f "$delta/.complete" ]; then
        rm -rf "$delta"
        mkdir -p "$delta"
        for f in "$d"/*.xml; do
            name=$(basename "$f" | sed 's/_Complet_20250901_/_Delta_20250902_/')
            ln "$f" "$delta/$name" 2>/dev/null || cp "$f" "$delta/$name"
        done
        touch "$delta/.complete"
    fi
    mb=$(du -sm --apparent-size "$d" | cut -f1)
    state="$out/bench-state-$n"
    rm -rf "$state"
    mkdir -p -m 0700 "$state" "$state/ent"
    chmod 0700 "$state/ent"
    config="$out/bench-$n.toml"
    printf '[directory]\ndatabase = "%s/aafd.sqlite3"\n[import]\ndeparture_guard_percent = 100\n' "$state" >"$config"
    copy_config="$out/bench-copy-$n.toml"
    printf '[directory]\ndatabase = "%s/aafd.sqlite3"\n[ent]\npublished_copy = "%s/ent/directory.sqlite3"\n' \
        "$state" "$state" >"$copy_config"
    sync
    cat "$d"/*.xml >/dev/null # the page cache warm for every reader
    echo "== $n pupils, $mb MB ($(basename "$aafd_bin"): $aafd_bin)"
    printf "%-36s %9s %8s %8s\n" measure seconds /floor rss_MB
    floors=() firsts=() agains=() first_ratios=() again_ratios=() every=()
    saxes=() parses=() sax_ratios=() parse_ratios=()
    frss=0 first_rss=0 again_rss=0
    for round in $(seq "$rounds"); do
        read -r f r < <(measure xmllint --stream --noout "$d"/*.xml)
        floors+=("$f")
        if ((r > frss)); then frss=$r; fi
        read -r x sax_rss < <(measure "$out/bench-sax" "$d"/*.xml)
        saxes+=("$x")
        sax_ratios+=("$(ratio "$x" "$f")")
        read -r x parse_rss < <(measure "$bin/aafd-fixtures" parse --links "$d"/*.xml)
        parses+=("$x")
        parse_ratios+=("$(ratio "$x" "$f")")
        empty_state
        read -r s r < <(measure "$aafd_bin" import --config "$config" --from-dir "$d")
        firsts+=("$s")
        first_ratios+=("$(ratio "$s" "$f")")
        if ((r > first_rss)); then first_rss=$r; fi
        read -r a r < <(measure "$aafd_bin" import --config "$config" --from-dir "$d")
        agains+=("$a")
        again_ratios+=("$(ratio "$a" "$f")")
        if ((r > again_rss)); then again_rss=$r; fi
        every+=("round $round: floor $f, SAX ${saxes[-1]}, parser ${parses[-1]}, first import $s ($(ratio "$s" "$f")), re-import $a ($(ratio "$a" "$f"))")
    done
    floor=$(middle "${floors[@]}")
    row "floor: xmllint --stream --noout" "$floor" "$frss" "$floor"
    row "libxml2 SAX alone (bench-sax.c)" "$(middle "${saxes[@]}")" "$sax_rss" "$floor" "$(middle "${sax_ratios[@]}")"
    row "aafd's parser alone (no store)" "$(middle "${parses[@]}")" "$parse_rss" "$floor" \
        "$(middle "${parse_ratios[@]}")"
    row "first import" "$(middle "${firsts[@]}")" "$first_rss" "$floor" "$(middle "${first_ratios[@]}")"
    row "unchanged re-import" "$(middle "${agains[@]}")" "$again_rss" "$floor" "$(middle "${again_ratios[@]}")"
    read -r s r < <(measure "$aafd_bin" import --config "$config" --from-dir "$delta")
    row "Delta import (every record again)" "$s" "$r" "$floor"
    read -r s r < <(measure "$aafd_bin" status --config "$config")
    row "status" "$s" "$r" "$floor"
    for format in jsonl csv ldif; do
        rm -f "$state/export.$format"
        read -r s r < <(measure "$aafd_bin" export --config "$config" --format "$format" \
            --output "$state/export.$format" --by bench)
        row "export --format $format" "$s" "$r" "$floor"
    done
    for view in ent_people ent_structures ent_people_structures ent_memberships ent_classes ent_groups \
        ent_guardianships ent_staff_functions ent_directorships; do
        read -r s r < <(measure sqlite3 -json "$state/aafd.sqlite3" "SELECT * FROM $view")
        row "sqlite3 -json: $view" "$s" "$r" "$floor"
    done
    read -r s r < <(measure "$aafd_bin" purge --config "$config")
    row "purge (nothing due)" "$s" "$r" "$floor"
    read -r s r < <(measure "$aafd_bin" purge --config "$copy_config")
    row "purge + publication of the copy" "$s" "$r" "$floor"
    read -r s r < <(measure "$aafd_bin" purge --config "$config" --dry-run --as-of 2099-01-01)
    row "purge everything (R9), dry run" "$s" "$r" "$floor"
    # Last, since it changes the directory: the same jointures with other values, a day after the Delta.
    update="$out/update-$n"
    if [ ! -f "$update/.complete" ]; then
        rm -rf "$update"
        "$bin/aafd-fixtures" delivery --out "$update" --pupils "$n" --schools $((n / 250 + 1)) --part-size 20000 \
            --date 20250903 --seed 2 --no-quirks >/dev/null
        touch "$update/.complete"
    fi
    cat "$update"/*.xml >/dev/null
    read -r s r < <(measure "$aafd_bin" import --config "$config" --from-dir "$update")
    row "Complet updating every person" "$s" "$r" "$floor"
    rm -f "$state/peer.sqlite3"
    read -r peer prss < <(measure python3 scripts/bench-peer.py "$state/peer.sqlite3" "$d"/*.xml)
    row "Python peer (ElementTree+sqlite3)" "$peer" "$prss" "$floor"
    echo "aafd's first import is $(ratio "$peer" "$(middle "${firsts[@]}")")× faster than the Python peer"
    printf '%s\n' "${every[@]}"
done
