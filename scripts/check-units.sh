#!/usr/bin/env bash
# Checks the shipped systemd units: `systemd-analyze verify` prints nothing, and `systemd-analyze security
# --offline=yes` rates the services' exposure at 2.0 or less. The units name /usr/local/bin/aafd; the check uses
# copies pointing at the binary just built.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-$(swift build --show-bin-path)/aafd}"
[ -x "$bin" ] || { echo "no aafd binary at $bin"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for unit in Config/systemd/*; do
    sed "s#/usr/local/bin/aafd#$bin#g" "$unit" > "$work/$(basename "$unit")"
done
# A real instance name for the template.
cp "$work/aafd@.service" "$work/aafd@creteil.service"
status=0
out=$(cd "$work" && systemd-analyze verify --man=no aafd.service aafd-import.service aafd-import.timer aafd@creteil.service 2>&1 || true)
if [ -n "$out" ]; then echo "systemd-analyze verify:"; echo "$out"; status=1; fi
for unit in aafd.service aafd-import.service aafd@creteil.service; do
    line=$(systemd-analyze security --offline=yes --root=/ "$work/$unit" 2>/dev/null | grep -E "Overall exposure level" || true)
    level=$(echo "$line" | grep -oE '[0-9]+\.[0-9]+' | head -1)
    echo "$unit: exposure ${level:-?}"
    if [ -z "$level" ] || awk -v l="$level" 'BEGIN{exit !(l > 2.0)}'; then status=1; fi
done
exit $status
