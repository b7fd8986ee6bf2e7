#!/usr/bin/env bash
# The Debian package for real (issue 13): builds it, lints it, installs it on this machine with dpkg, checks what
# it created, runs the main job as the aafd user with the installed binary and paths against a loopback sshd,
# reinstalls it over itself (an upgrade keeps the data and the edited conffile), removes it (the data stays, the
# inventory is written), purges it (nothing of aafd's state is left; the database's bytes are zeros; a certificate
# of deletion stays). Needs root; run by scripts/test.sh as root (CI). Fails at the first check that fails.
# Usage: scripts/test-package.sh [DEB]   (default: builds it with scripts/package.sh)
set -eu # not pipefail: `cmd | grep -q` would fail whenever grep stops reading early (SIGPIPE)
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "test-package.sh: needs root (dpkg -i)"; exit 1; }
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
started=$(date +%s)
checks=0
pass() { checks=$((checks + 1)); echo "ok $checks - $*"; }
fail() { echo "FAIL: $*"; exit 1; }

if dpkg-query -W -f='${Status}' aafd 2>/dev/null | grep -q installed; then
    fail "an aafd package is already installed here; dpkg --purge aafd first"
fi
user_existed=no
getent passwd aafd >/dev/null && user_existed=yes
work=$(mktemp -d /tmp/aafd-package-test.XXXXXX)
cleanup() {
    kill "$(cat "$work/server/sshd.pid" 2>/dev/null)" 2>/dev/null || true
    dpkg --purge aafd >/dev/null 2>&1 || true
    rm -f /var/lib/aafd-probe
    pkill -u aafd 2>/dev/null || true
    rm -rf /root/aafd-victims /tmp/aafd-swap.*.py
    [ -z "${root_mode:-}" ] || chmod "$root_mode" /root
    [ "$user_existed" = yes ] || { userdel aafd 2>/dev/null || true; groupdel aafd 2>/dev/null || true; }
    rm -rf "$work"
}
trap cleanup EXIT

# 1. Build (or take the one given) and lint.
deb="${1:-}"
[ -n "$deb" ] || deb=$(scripts/package.sh "$work" | tail -1)
[ -f "$deb" ] || fail "scripts/package.sh made no package"
pass "built $(basename "$deb"): $(stat -c %s "$deb") bytes"
echo "   $(dpkg-deb -f "$deb" Depends | sed 's/^/Depends: /')"
lint=$(lintian --fail-on error,warning "$deb" 2>&1 | grep -v 'running with root privileges' || true)
lintian --fail-on error,warning "$deb" >/dev/null 2>&1 || fail "lintian: $lint"
[ -z "$lint" ] || fail "lintian said: $lint"
pass "lintian: no error, no warning (overrides: $(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/lintian/overrides/aafd | grep -c '^aafd:'), each with its reason)"

# 2. Install: the user, the folders, the modes; nothing started, the conffile inactive.
installed_at=$(date +%s.%N)
dpkg -i "$deb" >"$work/dpkg-i.log" 2>&1 || { cat "$work/dpkg-i.log"; fail "dpkg -i"; }
grep -q "nothing runs until it is set up" "$work/dpkg-i.log" && grep -q "^  aafd setup$" "$work/dpkg-i.log" ||
    fail "postinst did not say that nothing runs, and to run aafd setup"
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd aafd) || fail "no aafd user"
[ "$uid" -lt 1000 ] && [ "$home" = /var/lib/aafd ] && [ "$shell" = /usr/sbin/nologin ] ||
    fail "aafd user: uid $uid, home $home, shell $shell"
pass "system user aafd (uid $uid, home $home, shell $shell), from sysusers.d"
[ "$(stat -c '%a %U %G' /var/lib/aafd)" = "700 aafd aafd" ] || fail "/var/lib/aafd: $(stat -c '%a %U %G' /var/lib/aafd)"
[ "$(stat -c '%a %U %G' /etc/aafd/aafd.toml)" = "640 root aafd" ] || fail "aafd.toml: $(stat -c '%a %U %G' /etc/aafd/aafd.toml)"
dpkg-query -W -f='${Conffiles}' aafd | grep -q '/etc/aafd/aafd.toml' || fail "aafd.toml is not a conffile"
pass "/var/lib/aafd 0700 aafd:aafd (tmpfiles.d); /etc/aafd/aafd.toml 0640 root:aafd, a conffile"
version=$(sed -n 's/.*static let string = "\(.*\)".*/\1/p' Sources/AAFCommands/Version.swift)
[ "$(aafd --version)" = "$version" ] || fail "aafd --version: $(aafd --version), expected $version"
[ "$(command -v aafd)" = /usr/bin/aafd ] || fail "aafd is not /usr/bin/aafd"
[ "$(man -w aafd)" = /usr/share/man/man1/aafd.1.gz ] || fail "man -w aafd: $(man -w aafd 2>&1)"
man aafd 2>/dev/null | grep -q "check-config" || fail "man aafd does not describe the subcommands"
# Issue 25: the accents kept, the set-up described, the sections a man page has, no stray backslash.
page=$(LC_ALL=C.UTF-8 MANWIDTH=200 man aafd 2>/dev/null)
for needle in "académie" "aafd setup key" "aafd setup host-key --fingerprint" "EXIT STATUS" "FILES" "EXAMPLES" \
    "SEE ALSO" "/etc/aafd/known_hosts"; do
    grep -qF "$needle" <<<"$page" || fail "man aafd lacks: $needle"
done
! grep -qF 'reloads \' <<<"$page" || fail "man aafd prints a stray backslash"
pass "/usr/bin/aafd --version $version; man -w aafd: $(man -w aafd)"
bash -c 'source /usr/share/bash-completion/completions/aafd && complete -p aafd' >/dev/null ||
    fail "the bash completion does not load"
grep -q "check-config" /usr/share/zsh/vendor-completions/_aafd || fail "zsh completion"
grep -q "check-config" /usr/share/fish/vendor_completions.d/aafd.fish || fail "fish completion"
pass "bash (loads: complete -p aafd), zsh and fish completions"
set +e
message=$(aafd check-config 2>&1)
status=$?
set -e
[ "$status" -eq 78 ] || fail "check-config on the shipped conffile exited $status: $message"
echo "$message" | grep -q "configures nothing yet" || fail "check-config did not say what is missing: $message"
pass "check-config on the shipped conffile: exit 78, \"${message:0:60}…\""
for unit in /lib/systemd/system/aafd.service /lib/systemd/system/aafd-import.service; do
    grep -q '^ExecStart=/usr/bin/aafd ' "$unit" || fail "$unit does not run /usr/bin/aafd"
done
out=$(systemd-analyze verify --man=no /lib/systemd/system/aafd.service /lib/systemd/system/aafd-import.service \
    /lib/systemd/system/aafd-import.timer 2>&1 || true)
[ -z "$out" ] || fail "systemd-analyze verify: $out"
exposure=$(systemd-analyze security --offline=yes /lib/systemd/system/aafd.service 2>/dev/null |
    grep -oE 'Overall exposure level for .*: [0-9.]+' | grep -oE '[0-9]+\.[0-9]+$')
awk -v l="$exposure" 'BEGIN{exit !(l <= 2.0)}' || fail "exposure $exposure"
pass "installed units: verify clean, aafd.service exposure $exposure"

# 3. Configure as an administrator would, then the main job as the aafd user, with the installed paths.
source scripts/lib-sshd.sh
mkdir -p -m 0700 "$work/drop"
start_sshd "$work/server" "$work/drop"
trap cleanup EXIT # start_sshd set its own; cleanup also stops sshd
fixtures="$(swift build --show-bin-path)/aafd-fixtures"
[ -x "$fixtures" ] || swift build --product aafd-fixtures >/dev/null
"$fixtures" delivery --out "$work/drop" --pupils 300 --schools 3 --date 20250901 >/dev/null
# A surname from the delivery: it must appear in no certificate (R15).
name=$(grep -m1 -oh '<attr name="ENTPersonNomPatro"><value>[^<]*' "$work/drop/"*_Eleve_* | sed 's/.*<value>//')
[ -n "$name" ] || fail "no surname found in the fixture"
install -m 0600 -o aafd -g aafd "$work/server/client_rsa" /etc/aafd/aafd_rsa
install -m 0644 "$work/server/client_rsa.pub" /etc/aafd/aafd_rsa.pub
install -m 0644 "$work/server/known_hosts" /etc/aafd/known_hosts
cat >/etc/aafd/aafd.toml <<TOML
# Edited by the package test, as an administrator edits the conffile.
[directory]
database = "/var/lib/aafd/aafd.sqlite3"

[sftp]
host = "127.0.0.1"
port = $SSHD_PORT
user = "root"
private_key = "/etc/aafd/aafd_rsa"
known_hosts = "/etc/aafd/known_hosts"
remote_dir = "$work/drop"

[convention]
commune = "Mairie de Testville"
publisher = "Éditeur de test"
TOML
runuser -u aafd -- aafd check-config --connect --config /etc/aafd/aafd.toml >"$work/check.log" 2>&1 ||
    { cat "$work/check.log"; fail "check-config --connect as aafd"; }
runuser -u aafd -- aafd import --config /etc/aafd/aafd.toml >"$work/import.log" 2>&1 ||
    { cat "$work/import.log"; fail "aafd import as the aafd user"; }
imported_at=$(date +%s.%N)
[ "$(stat -c '%a %U' /var/lib/aafd/aafd.sqlite3)" = "600 aafd" ] || fail "database: $(stat -c '%a %U' /var/lib/aafd/aafd.sqlite3)"
[ -z "$(ls -A "$work/drop")" ] || fail "the served files were not deleted after download (R10)"
pass "first import as aafd: $(awk -v a="$installed_at" -v b="$imported_at" 'BEGIN{printf "%.1f", b-a}') s after dpkg -i; database 0600 aafd"
# Root asks: aafd acts as the aafd user, who owns the state, and answers.
status_out=$(aafd status --config /etc/aafd/aafd.toml) || fail "aafd status as root"
echo "$status_out" | grep -q "last success: delivery of 2025-09-01" || fail "status as root: $status_out"
[ "$(stat -c %U /var/lib/aafd/aafd.sqlite3-wal 2>/dev/null || echo aafd)" = aafd ] || fail "root left a root-owned WAL"
pass "aafd status as root answers as the aafd user (no root-owned file left)"

# 4. Reinstall over itself (prerm upgrade, postinst configure): the data and the edited conffile stay.
dpkg -i "$deb" >"$work/dpkg-upgrade.log" 2>&1 || { cat "$work/dpkg-upgrade.log"; fail "dpkg -i over itself"; }
grep -q "Mairie de Testville" /etc/aafd/aafd.toml || fail "the upgrade replaced the edited conffile"
[ -f /var/lib/aafd/aafd.sqlite3 ] || fail "the upgrade lost the database"
pass "upgrade in place: edited conffile kept, database kept"

# 5. Remove: every aafd process stopped (a daemon started by hand as aafd, as cron's one-shot would be); the data
# stays; the inventory for a purge is written in root's own folder, counts only (R15).
ln /var/lib/aafd/aafd.sqlite3 /var/lib/aafd-probe # a second name for the database's bytes, read after the purge
setsid runuser -u aafd -- aafd run --config /etc/aafd/aafd.toml >/dev/null 2>&1 &
sleep 1
pgrep -u aafd -x aafd >/dev/null || fail "the hand-started daemon did not run"
dpkg -r aafd >"$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log"; fail "dpkg -r"; }
if pgrep -u aafd >/dev/null; then fail "an aafd process outlived dpkg -r: $(pgrep -a -u aafd)"; fi
[ ! -e /usr/bin/aafd ] || fail "/usr/bin/aafd left after remove"
[ -f /var/lib/aafd/aafd.sqlite3 ] && [ -f /etc/aafd/aafd_rsa ] || fail "remove deleted data"
inventory=/var/lib/aafd.purge-inventory/aafd.certificate
[ -f "$inventory" ] || { cat "$work/dpkg-r.log"; fail "no inventory after remove"; }
[ "$(stat -c '%a %U' /var/lib/aafd.purge-inventory)" = "700 root" ] && [ "$(stat -c '%a %U' "$inventory")" = "600 root" ] ||
    fail "inventory folder/file: $(stat -c '%a %U' /var/lib/aafd.purge-inventory "$inventory")"
grep -q "présents : .*élèves : 300" "$inventory" || fail "inventory counts: $(cat "$inventory")"
grep -q "^tree /var/lib/aafd/spool$" /var/lib/aafd.purge-inventory/aafd.erase || fail "erase list: $(cat /var/lib/aafd.purge-inventory/aafd.erase)"
if runuser -u aafd -- sh -c 'echo "file /etc/shadow" >/var/lib/aafd.purge-inventory/x.erase' 2>/dev/null; then
    fail "the aafd user could write into the purge inventory"
fi
pass "remove stops every aafd process and keeps the data; prerm wrote the inventory in root's 0700 folder"

# 5b. Issue 20: a compromised aafd user tries to steer the purge. Victims: root's files; the attacker plants an
# erase list and a certificate link where the old inventory was, a file name that forges a certificate line, and a
# link that it swaps with a regular file (renameat2 RENAME_EXCHANGE) in a loop while root erases.
mkdir -p -m 0700 /root/aafd-victims/dir
echo VICTIM >/root/aafd-victims/file
echo VICTIM >/root/aafd-victims/dir/inside
echo "root-only secret" >/root/aafd-victims/secret
chmod 0600 /root/aafd-victims/file /root/aafd-victims/secret
root_mode=$(stat -c %a /root)
chmod 0755 /root /root/aafd-victims # the attacker may look: only writing is what it must not get
swap=$(mktemp /tmp/aafd-swap.XXXXXX.py)
chmod 0644 "$swap"
cat >"$swap" <<'PY'
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
folder, victim = sys.argv[1], sys.argv[2]
a, b = os.path.join(folder, "swap-a"), os.path.join(folder, "swap-b")
os.makedirs(folder, exist_ok=True)
end = time.time() + float(sys.argv[3])
while time.time() < end:
    try:
        if not os.path.lexists(a):
            with open(a, "wb") as f: f.write(b"x" * 4096)
        if not os.path.lexists(b): os.symlink(victim, b)
        libc.renameat2(-100, a.encode(), -100, b.encode(), 2)  # AT_FDCWD, RENAME_EXCHANGE
    except OSError:
        pass
PY
plant() {
    runuser -u aafd -- sh -c '
        mkdir -p /var/lib/aafd/.purge-inventory
        printf "file /root/aafd-victims/file\ntree /root/aafd-victims/dir\n" >/var/lib/aafd/.purge-inventory/aafd.erase
        ln -sf /root/aafd-victims/secret /var/lib/aafd/.purge-inventory/aafd.certificate
        mkdir -p /var/lib/aafd/spool
        echo x >"/var/lib/aafd/spool/x
999999999	FORGED-ENTRY"'
}
# One purge under attack: the plants, the swap loop running as aafd while root purges, then the checks. A folder the
# swapper kept writing into is not removed by root (it may be written by aafd): the certificate must say so.
attack_purge() {
    plant
    setsid runuser -u aafd -- python3 "$swap" /var/lib/aafd/spool /root/aafd-victims/file 30 >/dev/null 2>&1 &
    swapper=$!
    sleep 0.2
    dpkg --purge aafd >"$work/dpkg-purge-$1.log" 2>&1 || { cat "$work/dpkg-purge-$1.log"; fail "purge, run $1"; }
    pkill -KILL -u aafd 2>/dev/null || true
    wait "$swapper" 2>/dev/null || true
    victims_intact || fail "run $1: a root-owned victim was changed by the purge"
    certificate=$(ls /var/backups/aafd-deletion-certificate-*.txt | tail -1)
    if grep -q "root-only secret\|/root/aafd-victims\|^ *FORGED-ENTRY\|^ *999999999" "$certificate"; then
        fail "run $1: the certificate names a victim or a forged entry: $(cat "$certificate")"
    fi
    if [ -e /var/lib/aafd ]; then
        grep -q "/var/lib/aafd : non supprimé" "$certificate" || fail "run $1: /var/lib/aafd left, unsaid"
        left_behind=$((left_behind + 1))
        rm -rf /var/lib/aafd
    fi
}
left_behind=0
victims_intact() {
    [ "$(cat /root/aafd-victims/file)" = VICTIM ] && [ "$(cat /root/aafd-victims/dir/inside)" = VICTIM ] &&
        [ "$(cat /root/aafd-victims/secret)" = "root-only secret" ]
}
attack_purge first
pass "purge under attack (planted list, certificate link, forging name, swap loop): victims intact, certificate clean"
# 6. That purge: everything aafd kept is erased and a certificate stays for the DPO.
grep -q "certificate of deletion" "$work/dpkg-purge-first.log" || fail "purge did not say what it did"
for path in /var/lib/aafd /etc/aafd /lib/systemd/system/aafd.service /usr/lib/sysusers.d/aafd.conf; do
    [ ! -e "$path" ] || fail "$path is left after purge"
done
left=$(find /var/lib /etc /run -xdev -name '*aafd*' ! -name 'aafd-probe' ! -path '/var/lib/dpkg/*' 2>/dev/null | head -5)
[ -z "$left" ] || fail "left after purge: $left"
[ "$(stat -c %s /var/lib/aafd-probe)" -gt 0 ] && [ "$(tr -d '\0' </var/lib/aafd-probe | wc -c)" -eq 0 ] ||
    fail "the database's bytes were not overwritten with zeros before its removal"
pass "purge: no aafd state left in /var/lib, /etc, /run; the database's $(stat -c %s /var/lib/aafd-probe) bytes are zeros"
[ "$(stat -c '%a %U' "$certificate")" = "600 root" ] || fail "certificate mode"
grep -q "Parties : Mairie de Testville" "$certificate" && grep -q "élèves : 300" "$certificate" &&
    grep -q "^Effacement : " "$certificate" && grep -q "/var/lib/aafd/aafd.sqlite3" "$certificate" ||
    fail "certificate: $(cat "$certificate")"
if grep -qF "$name" "$certificate"; then fail "the certificate holds a name from the delivery"; fi
pass "certificate of deletion $certificate (0600): parties, counts, erased files; no personal data"
cat "$certificate"
rm -f "$certificate"
getent passwd aafd >/dev/null || fail "the aafd user was removed (Debian keeps system users)"
pass "the aafd system user stays, as Debian does"

# 7. The swap loop again, on fresh state each time: a race that wins one run in three must fail here.
swap_runs=20
for run in $(seq 2 "$swap_runs"); do
    dpkg -i "$deb" >/dev/null 2>&1 || fail "reinstall $run"
    runuser -u aafd -- sh -c 'mkdir -p /var/lib/aafd/spool; head -c 100000 /dev/urandom >/var/lib/aafd/aafd.sqlite3'
    dpkg -r aafd >/dev/null 2>&1 || fail "dpkg -r, run $run"
    attack_purge "$run"
    rm -f "$certificate"
done
pass "the swap loop against the purge, $swap_runs fresh runs: every victim intact ($left_behind runs left the attacker's still-written folder, said in the certificate)"
rm -rf /root/aafd-victims "$swap"
chmod "$root_mode" /root

# 8. The end of the convention by hand, as root, with the configuration in root's /etc/aafd (issue 20, item 5): the
# final certificate is root's, beside the configuration, written before anything is erased and completed after.
dpkg -i "$deb" >/dev/null 2>&1 || fail "reinstall after the attack runs"
small=$(mktemp -d /tmp/aafd-decommission.XXXXXX)
"$fixtures" delivery --out "$small" --pupils 50 --schools 1 --date 20250901 >/dev/null
chmod -R a+rX "$small"
cat >/etc/aafd/aafd.toml <<TOML
[directory]
database = "/var/lib/aafd/aafd.sqlite3"

[convention]
commune = "Mairie de Testville"
TOML
runuser -u aafd -- aafd import --config /etc/aafd/aafd.toml --from-dir "$small" >"$work/small.log" 2>&1 ||
    { cat "$work/small.log"; fail "import before the decommission"; }
aafd decommission --confirm-erase-everything --config /etc/aafd/aafd.toml >"$work/decommission.log" 2>&1 ||
    { cat "$work/decommission.log"; fail "decommission --confirm-erase-everything as root"; }
final=$(ls /etc/aafd/aafd-final-certificate-*.txt 2>/dev/null | head -1)
[ -n "$final" ] && [ "$(stat -c '%a %U' "$final")" = "600 root" ] || fail "no root 0600 final certificate in /etc/aafd"
grep -q "^Effacement commencé : " "$final" && grep -q "^Effacement terminé : " "$final" || fail "final certificate: $(cat "$final")"
[ ! -e /var/lib/aafd/aafd.sqlite3 ] || fail "the database is still there after decommission"
pass "decommission as root with /etc/aafd: the database erased as aafd, the final certificate $final (0600 root) started before and finished after"
rm -rf "$small" "$final"
dpkg --purge aafd >/dev/null 2>&1 || fail "purge after the attack runs"
# The certificates this test's purges left (newer than its work folder); an administrator's older ones stay.
for c in /var/backups/aafd-deletion-certificate-*.txt; do
    if [ -e "$c" ] && [ "$c" -nt "$work" ]; then rm -f "$c"; fi
done

echo "package test: $checks checks passed in $(($(date +%s) - started)) s"
