#!/usr/bin/env bash
# libFuzzer over aafd's input surfaces (issue 10): the AAF parser and record mapping with the Annexe-3 allow-list,
# delivery file names, extract dates and their arithmetic, the TOML configuration.
# Usage: scripts/fuzz.sh [TARGET ...]       targets: parser filename date config (default: all)
#   FUZZ_RUNS=N (default 1000000; the parser: FUZZ_PARSER_RUNS, default 10000000) or FUZZ_SECONDS=S per target.
# Builds with -sanitize=fuzzer,address in .build-fuzz (release), seeds from Fixtures/ and ../shared/aaf-samples,
# keeps corpora and findings in fuzz-out/<target>/. A finding becomes a file in Fixtures/fuzz/<target>/, which
# FuzzReplayTests replays in every test run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
swift build -c release --product aafd-fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >/dev/null
bin=".build-fuzz/release/aafd-fuzz"
shared="${AAFD_SHARED:-../shared}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(parser filename date config)
for t in "${targets[@]}"; do
    corpus="fuzz-out/$t/corpus"
    mkdir -p "$corpus" "fuzz-out/$t/findings"
    case "$t" in
        parser)
            # Small seeds: the first records of the fixtures, the hostile corpus, small real samples.
            for f in Fixtures/ent1d/20250901/*.xml; do head -c 3000 "$f" > "$corpus/seed-$(basename "$f")"; done
            cp Fixtures/hostile/* "$corpus/" 2>/dev/null || true
            find "$shared/aaf-samples" -name '*.xml' -size -8k -exec cp {} "$corpus/" \; 2>/dev/null || true
            runs="${FUZZ_PARSER_RUNS:-10000000}"; maxlen=8192 ;;
        filename)
            ls Fixtures/ent1d/*/ > "$corpus/names.txt"; for n in $(ls Fixtures/ent1d/20250901/); do printf '%s' "$n" > "$corpus/$n"; done
            runs="${FUZZ_RUNS:-1000000}"; maxlen=300 ;;
        date)
            for d in 20250901 2025-09-01 01/09/2025 99991231 9999-12-31 31/12/9999 19000101 29/02/2024; do printf '%s' "$d" > "$corpus/$(echo "$d" | tr / _)"; done
            runs="${FUZZ_RUNS:-1000000}"; maxlen=16 ;;
        config)
            cp Config/aafd.example.toml "$corpus/example.toml"
            runs="${FUZZ_RUNS:-1000000}"; maxlen=4096 ;;
        *) echo "unknown target $t"; exit 64 ;;
    esac
    limit=(-runs="$runs")
    # TOMLKit (a dependency) leaks the key array of TOMLTable.keys on every call: not aafd's, and parsed once per
    # run (or SIGHUP), so LeakSanitizer is off for that target only.
    [ "$t" != config ] || limit+=(-detect_leaks=0)
    [ -z "${FUZZ_SECONDS:-}" ] || limit=(-max_total_time="$FUZZ_SECONDS")
    echo "== $t: ${limit[*]}"
    AAFD_FUZZ_TARGET="$t" "$bin" "$corpus" "${limit[@]}" -max_len="$maxlen" -artifact_prefix="fuzz-out/$t/findings/" \
        -print_final_stats=1 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done|==[0-9]+==ERROR|SUMMARY)" || true
    echo "findings: $(ls "fuzz-out/$t/findings" | wc -l)"
done
