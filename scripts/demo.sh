#!/usr/bin/env bash
# The main job on its embedded default: builds aafd, writes a synthetic ENT1D delivery, imports it into a
# local SQLite file (./demo/aafd.sqlite3) and prints `aafd status`. Nothing leaves this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
swift build -c release --product aafd >/dev/null
swift build -c release --product aafd-fixtures >/dev/null
bin="$(swift build -c release --show-bin-path)"
demo="$PWD/demo"
rm -rf "$demo"
mkdir -p -m 0700 "$demo"
"$bin/aafd-fixtures" delivery --out "$demo/delivery" --pupils 500 --schools 5 --date 20250901 --part-size 300
cat > "$demo/aafd.toml" <<TOML
[directory]
database = "$demo/state/aafd.sqlite3"
TOML
"$bin/aafd" import --config "$demo/aafd.toml" --from-dir "$demo/delivery"
"$bin/aafd" status --config "$demo/aafd.toml"
