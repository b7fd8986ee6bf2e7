# Sourced by scripts/bench.sh and scripts/bench-import.sh: dependencies, the release build, the sizes asked, the
# work folder bench-out/, and `measure` ("seconds rss_kib" of a command from GNU time, its output discarded).
# AAFD_BIN: another aafd to time on the same files (an A/B with an earlier commit's build).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
# aafd is measured as it ships (scripts/package.sh's flags: the Swift runtime linked statically, full RELRO): the
# dynamically linked build maps Foundation's and ICU's libraries and starts 6 MB larger (issue 24).
source scripts/lib-ship-build.sh
ship_build .build-static >/dev/null
swift build -c release --product aafd-fixtures >/dev/null
bin="$(swift build -c release --show-bin-path)"
out="$PWD/bench-out"
mkdir -p "$out"
# shellcheck disable=SC2046 # xml2-config prints several flags
cc -O2 -o "$out/bench-sax" scripts/bench-sax.c $(xml2-config --cflags --libs)
aafd_bin="${AAFD_BIN:-$PWD/.build-static/release/aafd}"

measure() {
    /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >/dev/null 2>"$out/stderr.txt" || {
        echo "failed: $*" >&2
        cat "$out/stderr.txt" >&2
        exit 1
    }
    cat "$out/time.txt"
}

# The synthetic Complet delivery of $1 pupils in bench-out/delivery-$1, written once.
delivery() {
    local d="$out/delivery-$1"
    if [ ! -f "$d/.complete" ]; then
        rm -rf "$d"
        "$bin/aafd-fixtures" delivery --out "$d" --pupils "$1" --schools $(($1 / 250 + 1)) --part-size 20000 \
            --date 20250901 --no-quirks >/dev/null
        touch "$d/.complete"
    fi
    echo "$d"
}
