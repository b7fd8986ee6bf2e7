#!/usr/bin/env bash
# aafd under a real systemd (issue 15): boots a Debian 12 container (debootstrap, cached outside the repository,
# booted with systemd-nspawn on a throwaway overlay), installs the Debian package in it as a sysadmin would, runs an
# OpenSSH server inside on 127.0.0.1 with synthetic deliveries, and checks the shipped units for real: start and
# READY, the watchdog, reload, stop during an import, the timer and the sysexits codes, two communes side by side,
# the live exposure score, the journal's priorities and the absence of personal data. Needs root. Fails loudly when
# the container cannot boot. Usage: scripts/test-systemd.sh [DEB]   (default: builds it with scripts/package.sh)
set -eu # not pipefail: `cmd | grep -q` would fail whenever grep stops reading early (SIGPIPE)
cd "$(dirname "$0")/.."
fail() {
    echo "FAIL: $*"
    [ -n "${init:-}" ] && ct journalctl --no-pager -n 40 -u 'aafd*' 2>/dev/null | tail -40
    exit 1
}
source scripts/lib-container.sh
container_prerequisites test-systemd.sh debootstrap systemd-nspawn nsenter

# The container root, cached (rebuilt when missing): Debian 12 minbase with systemd, D-Bus, OpenSSH and the
# libraries aafd's package depends on, so dpkg -i needs no network inside.
build_container_root
imported() { # imported DATABASE EXTRACT_DATE: that delivery is in the journal as imported
    [ "$(ct sqlite3 -readonly "$1" "SELECT count(*) FROM import_runs WHERE outcome = 'imported' AND extract_date = '$2'")" = 1 ]
}
# The schedule set to the current minute, once that minute is later than the last import: the next (re)start then
# catches up at once (R20), as after a missed morning.
catch_up_schedule() {
    local last
    last=$(ct sqlite3 -readonly /var/lib/aafd/aafd.sqlite3 "SELECT max(finished_at) FROM import_runs")
    while [ "$(date -u +%Y-%m-%dT%H:%M)" = "${last:0:16}" ]; do sleep 1; done
    config aafd /srv/drop "$(TZ=Europe/Paris date +%H:%M)"
}

# What goes in: the package and the deliveries, bound read-only.
deb="${1:-}"
if [ -z "$deb" ]; then deb=$(scripts/package.sh "$work/pkg" | tail -1); fi
mkdir -p "$work/in"
cp "$deb" "$work/in/aafd.deb"
fixtures="$(swift build --show-bin-path)/aafd-fixtures"
[ -x "$fixtures" ] || swift build --product aafd-fixtures >/dev/null
"$fixtures" delivery --out "$work/in/d1" --pupils 300 --schools 3 --date 20250901 >/dev/null
"$fixtures" delivery --out "$work/in/d2" --pupils 60000 --schools 25 --date 20250902 >/dev/null
"$fixtures" delivery --out "$work/in/d3" --pupils 60000 --schools 25 --date 20250903 >/dev/null # d2 the next day
"$fixtures" delivery --out "$work/in/a" --pupils 200 --schools 2 --date 20250901 --seed 7 >/dev/null
"$fixtures" delivery --out "$work/in/b" --pupils 250 --schools 2 --date 20250901 --seed 9 >/dev/null
names=$(grep -oh '<attr name="ENTPersonNomPatro"><value>[^<]*' "$work/in/d1/"*_Eleve_* | sed 's/.*<value>//' | head -5)

boot_container

# As a sysadmin would: the package, the key pair, the pinned host key, the configuration.
ct dpkg -i /srv/in/aafd.deb >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i in the container"; }
ct sh -c 'ssh-keygen -A >/dev/null && printf "Port 2222\nListenAddress 127.0.0.1\nPasswordAuthentication no\nPermitRootLogin prohibit-password\n" >/etc/ssh/sshd_config.d/test.conf'
for name in aafd a b; do
    ct ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C "aafd $name" -f "/etc/aafd/${name}_rsa"
done
ct sh -c 'install -d -m 700 /root/.ssh && cat /etc/aafd/*_rsa.pub >/root/.ssh/authorized_keys && mkdir -p /srv/drop /srv/drop-a /srv/drop-b'
ct systemctl restart ssh
wait_for 10 "sshd in the container" sh -c "nsenter -t $init -a ssh-keyscan -p 2222 -t ed25519 127.0.0.1 | grep -q ssh-ed25519"
ct sh -c 'ssh-keyscan -p 2222 -t ed25519 127.0.0.1 2>/dev/null >/etc/aafd/known_hosts'
config() { # config NAME REMOTE_DIR SCHEDULE [EXTRA]: /etc/aafd/NAME.toml; the units load /etc/aafd/NAME_rsa as sftp-key
    local state="/var/lib/aafd"
    [ "$1" = aafd ] || state="/var/lib/aafd-$1"
    ct sh -c "cat >/etc/aafd/$1.toml" <<TOML
[directory]
database = "$state/aafd.sqlite3"

[sftp]
host = "127.0.0.1"
port = 2222
user = "root"
private_key = "/etc/aafd/$1_rsa"
known_hosts = "/etc/aafd/known_hosts"
remote_dir = "$2"

[convention]
commune = "Mairie de $1"

[schedule]
time = "$3"
${4:-}
TOML
}
config aafd /srv/drop "06:30"
ct cp /srv/in/d1/. /srv/drop/ -r
db=/var/lib/aafd/aafd.sqlite3

# 1. enable --now: active only after READY=1; the status text; the catch-up import; the key from LoadCredential.
ct systemctl enable --now aafd.service 2>/dev/null
[ "$(show aafd ActiveState)/$(show aafd SubState)" = "active/running" ] || fail "aafd.service: $(show aafd ActiveState)"
wait_for 30 "the catch-up import" imported "$db" 2025-09-01
wait_for 10 "the status text" sh -c "nsenter -t $init -a systemctl show aafd -p StatusText --value | grep -q 'last attempt: imported'"
ct aafd status | grep -q "last success: delivery of 2025-09-01" || fail "aafd status inside: $(ct aafd status)"
pass "enable --now: active (running) after READY=1; StatusText \"$(show aafd StatusText)\"; catch-up import with the key from LoadCredential (root's 0600 /etc/aafd/aafd_rsa; the credential: $(ct stat -c '%U %a' /run/credentials/aafd.service/sftp-key))"

# 2. The watchdog for real: the main loop frozen, systemd kills and restarts it; catch-up does not import twice.
ct sh -c 'mkdir -p /etc/systemd/system/aafd.service.d && printf "[Service]\nWatchdogSec=3s\nRestartSec=1s\n" >/etc/systemd/system/aafd.service.d/test-watchdog.conf'
catch_up_schedule
ct systemctl daemon-reload
ct systemctl restart aafd
ct cp /srv/in/d1/. /srv/drop/ -r # the same delivery again on the server
wait_for 20 "the run after restart" sh -c "nsenter -t $init -a systemctl show aafd -p StatusText --value | grep -q 'last attempt'"
restarts=$(show aafd NRestarts)
pid=$(show aafd MainPID)
frozen=$(date +%s.%N)
ct kill -STOP "$pid"
wait_for 30 "the watchdog's restart" sh -c "[ \$(nsenter -t $init -a systemctl show aafd -p NRestarts --value) -gt $restarts ]"
wait_for 20 "the restarted service" sh -c "nsenter -t $init -a systemctl show aafd -p StatusText --value | grep -q 'last attempt'"
took=$(awk -v a="$frozen" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
[ "$(ct sqlite3 -readonly $db "SELECT count(*) FROM import_runs WHERE outcome = 'imported'")" = 1 ] ||
    fail "a restart imported the same delivery twice"
ct journalctl -u aafd --no-pager -o cat | grep -q "Watchdog timeout" || fail "no watchdog timeout in the journal"
pass "watchdog: SIGSTOP'd main loop killed and restarted by systemd (NRestarts $restarts → $(show aafd NRestarts), back in $took s with WatchdogSec=3s); the restart's catch-up did not import the delivery again"
ct rm -f /etc/systemd/system/aafd.service.d/test-watchdog.conf
ct systemctl daemon-reload
ct systemctl restart aafd

# 3. reload: a broken configuration is refused and logged, the service keeps the old one; a fixed one is taken.
pid=$(show aafd MainPID)
ct sh -c 'cp /etc/aafd/aafd.toml /root/good.toml && printf "[bogus]\nx = 1\n" >>/etc/aafd/aafd.toml'
ct systemctl reload aafd
wait_for 10 "the failed reload in the journal" sh -c "nsenter -t $init -a journalctl -u aafd -o cat | grep -q 'configuration reload failed'"
[ "$(show aafd ActiveState)" = active ] && [ "$(show aafd MainPID)" = "$pid" ] || fail "a bad reload stopped the service"
ct sh -c 'sed "s/^time = .*/time = \"07:15\"/" /root/good.toml >/etc/aafd/aafd.toml'
ct systemctl reload aafd
wait_for 10 "the reload taken" sh -c "nsenter -t $init -a journalctl -u aafd -o cat | grep -q 'configuration reloaded'"
[ "$(show aafd MainPID)" = "$pid" ] || fail "the reload restarted the service"
pass "reload: a broken configuration logged (\"unknown section [bogus]\") and refused, PID $pid still running; the fixed one taken, same PID"

# 4. stop during an import: within TimeoutStopSec, exit 0, the directory unchanged, the next start imports it.
ct cp /srv/in/d2/. /srv/drop/ -r
catch_up_schedule
before=$(ct sqlite3 -readonly $db "SELECT count(*) FROM persons")
since=$(ct date '+%Y-%m-%d %H:%M:%S')
ct systemctl restart aafd
wait_for 60 "the big delivery's import to start" sh -c "nsenter -t $init -a journalctl -u aafd --since '$since' -o cat | grep -q 'delivery.date=2025-09-02.*delivery downloaded'"
t0=$(date +%s.%N)
ct systemctl stop aafd
stop=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
[ "$(show aafd Result)" = success ] && [ "$(show aafd ExecMainStatus)" = 0 ] ||
    fail "stop: Result $(show aafd Result), status $(show aafd ExecMainStatus)"
awk -v s="$stop" 'BEGIN{exit !(s < 15)}' || fail "stop took $stop s"
ct journalctl -u aafd --since "$since" -o cat | grep -q "import.outcome=imported.*delivery.date=2025-09-02\|delivery.date=2025-09-02.*import.outcome=imported" &&
    fail "the import finished before the stop: use a bigger delivery"
[ "$(ct sqlite3 -readonly $db "SELECT count(*) FROM persons")" = "$before" ] || fail "a stopped import changed the directory"
ct aafd status | grep -q "last success: delivery of 2025-09-01" || fail "status after the stop"
ct systemctl start aafd
wait_for 90 "the stopped delivery's import" imported "$db" 2025-09-02
pass "stop during the import of 60,000 pupils: stopped in $stop s, exit 0, directory unchanged ($before people); the next start imported it"

# 5. The timer variant: one import per start; 69 (nothing new) and 75 (locked) are not failures; 78 is not retried.
ct systemctl disable --now aafd.service 2>/dev/null
ct systemctl enable --now aafd-import.timer 2>/dev/null
[ "$(show aafd-import.timer ActiveState)" = active ] || fail "the timer is not active"
ct cp /srv/in/d3/. /srv/drop/ -r
ct systemctl start aafd-import.service || fail "aafd-import.service failed"
imported "$db" 2025-09-03 || fail "aafd-import.service did not import"
[ "$(show aafd-import.service Result)" = success ] && [ "$(show aafd-import.service ExecMainStatus)" = 0 ] || fail "one-shot: $(show aafd-import.service Result)"
ct systemctl start aafd-import.service || fail "aafd-import.service with nothing new failed"
[ "$(show aafd-import.service ExecMainStatus)" = 69 ] && [ "$(show aafd-import.service Result)" = success ] ||
    fail "nothing new: status $(show aafd-import.service ExecMainStatus), $(show aafd-import.service Result)"
ct systemd-run --unit=holder -p User=aafd flock /var/lib/aafd/aafd.lock sleep 60 >/dev/null 2>&1
wait_for 10 "the lock holder" sh -c "[ \$(nsenter -t $init -a systemctl show holder -p ActiveState --value) = active ]"
ct systemctl start aafd-import.service || true
[ "$(show aafd-import.service ExecMainStatus)" = 75 ] && [ "$(show aafd-import.service Result)" = success ] ||
    fail "locked: status $(show aafd-import.service ExecMainStatus), $(show aafd-import.service Result)"
ct systemctl stop holder
ct sh -c 'printf "[bogus]\n" >>/etc/aafd/aafd.toml'
ct systemctl start aafd.service 2>/dev/null || true
sleep 1
[ "$(show aafd ExecMainStatus)" = 78 ] && [ "$(show aafd NRestarts)" = 0 ] || fail "78: status $(show aafd ExecMainStatus), restarts $(show aafd NRestarts)"
ct sh -c 'sed "s/^time = .*/time = \"07:15\"/" /root/good.toml >/etc/aafd/aafd.toml'
pass "timer enabled; aafd-import.service: imported and exited 0; nothing new → 69, locked → 75, both success; aafd.service with a broken configuration → 78, not restarted"

# 6. Two communes side by side: separate users, state, keys and schedules; stopping one leaves the other.
config a /srv/drop-a "07:00"
config b /srv/drop-b "08:00"
ct cp /srv/in/a/. /srv/drop-a/ -r
ct cp /srv/in/b/. /srv/drop-b/ -r
ct systemctl start aafd@a.service aafd@b.service
wait_for 30 "commune a's import" imported /var/lib/private/aafd-a/aafd.sqlite3 2025-09-01
wait_for 30 "commune b's import" imported /var/lib/private/aafd-b/aafd.sqlite3 2025-09-01
ua=$(ct stat -c %u /var/lib/private/aafd-a/aafd.sqlite3)
ub=$(ct stat -c %u /var/lib/private/aafd-b/aafd.sqlite3)
[ "$ua" != "$ub" ] || fail "the two communes share a uid"
pa=$(ct sqlite3 -readonly /var/lib/private/aafd-a/aafd.sqlite3 "SELECT count(*) FROM persons WHERE category = 'Eleve'")
pb=$(ct sqlite3 -readonly /var/lib/private/aafd-b/aafd.sqlite3 "SELECT count(*) FROM persons WHERE category = 'Eleve'")
[ "$pa" = 200 ] && [ "$pb" = 250 ] || fail "pupils a $pa, b $pb"
ct systemctl show aafd@a -p StatusText --value | grep -q "T06:00:00Z" || fail "a's schedule"
ct systemctl show aafd@b -p StatusText --value | grep -q "T07:00:00Z" || fail "b's schedule"
ct systemctl stop aafd@a.service
sleep 1
[ "$(show aafd@b ActiveState)" = active ] || fail "stopping a stopped b"
pass "aafd@a and aafd@b: uids $ua and $ub, $pa and $pb pupils in separate databases (DynamicUser's /var/lib/aafd-x link followed), own keys and schedules; stopping a leaves b running"

# 7. The live exposure score.
ct systemctl start aafd.service
exposure=$(ct systemd-analyze security aafd.service 2>/dev/null | grep -oE 'Overall exposure level for aafd.service: [0-9.]+' | grep -oE '[0-9.]+$')
awk -v l="$exposure" 'BEGIN{exit !(l <= 2.0)}' || fail "exposure $exposure"
pass "systemd-analyze security aafd.service on the running system: $exposure"

# 8. The journal: errors at priority 3, information at 6, no personal data anywhere.
ct journalctl -u aafd -p err -o cat --no-pager | grep -q "configuration reload failed" || fail "no error at priority ≤ 3"
ct journalctl -u aafd -p err -o cat --no-pager | grep -q "daemon started" && fail "information logged as an error"
ct journalctl -u aafd -p info..info -o cat --no-pager | grep -q "daemon started" || fail "no information at priority 6"
journal=$(ct journalctl --no-pager -o cat)
noise=$(echo "$journal" | grep -c "Failed to set thread priority" || true)
echo "   libdispatch's 'Failed to set thread priority' lines: $noise"
for name in $names; do
    if echo "$journal" | grep -qF "$name"; then fail "the journal holds a name from the delivery"; fi
done
pass "journal: 'configuration reload failed' at priority 3, 'daemon started' at 6; none of the delivery's names in $(echo "$journal" | wc -l) lines"

# 8b. The ENT's copy under aafd.service as shipped (issue 21): a setgid folder of the readers' group in the one
# extra path the unit may write; the copy published after the run, with that group, no fchown (denied by the
# sandbox); a folder aafd cannot write is an incident that status shows, never "incident: none".
ent='[ent]
published_copy = "/var/lib/aafd-ent/directory.sqlite3"
reader_group = "entreaders"'
ct groupadd -f entreaders
ct install -d -m 2750 -o aafd -g entreaders /var/lib/aafd-ent
ent_run() { # a run of aafd.service now, with [ent]: the schedule set to this minute, then a restart (catch-up)
    local last
    last=$(ct sqlite3 -readonly /var/lib/aafd/aafd.sqlite3 "SELECT max(finished_at) FROM import_runs")
    while [ "$(date -u +%Y-%m-%dT%H:%M)" = "${last:0:16}" ]; do sleep 1; done
    config aafd /srv/drop "$(TZ=Europe/Paris date +%H:%M)" "$ent"
    ct systemctl restart aafd.service
}
config aafd /srv/drop "06:30" "$ent"
# (As root, check-config acts as aafd and refuses the key kept for LoadCredential: only [ent] matters here.)
ct aafd check-config --config /etc/aafd/aafd.toml >"$work/ent-check.log" 2>&1 || true
if grep -q "\[ent\]\|published_copy" "$work/ent-check.log"; then
    cat "$work/ent-check.log"
    fail "check-config with [ent] in /var/lib/aafd-ent"
fi
ent_run
wait_for 60 "the ENT's copy" sh -c "nsenter -t $init -a test -f /var/lib/aafd-ent/directory.sqlite3"
[ "$(ct stat -c '%a %U %G' /var/lib/aafd-ent/directory.sqlite3)" = "640 aafd entreaders" ] ||
    fail "the copy: $(ct stat -c '%a %U %G' /var/lib/aafd-ent/directory.sqlite3)"
[ "$(ct setpriv --reuid=nobody --regid=entreaders --clear-groups sqlite3 -readonly \
    /var/lib/aafd-ent/directory.sqlite3 'SELECT count(*) > 0 FROM ent_people')" = 1 ] || fail "a reader of the group reads nothing"
ct aafd status --config /etc/aafd/aafd.toml | grep -q "incident: none" || fail "status after a publication: $(ct aafd status)"
ct rm /var/lib/aafd-ent/directory.sqlite3
ct chmod 0550 /var/lib/aafd-ent
ent_run
wait_for 60 "the publication incident" sh -c "nsenter -t $init -a aafd status --config /etc/aafd/aafd.toml | grep -q publication-failed"
ct journalctl -u aafd -o cat | grep -q "cannot publish the ENT's copy" || fail "no publication error in the journal"
ct chmod 2750 /var/lib/aafd-ent
config aafd /srv/drop "06:30" "$ent"
pass "[ent] under aafd.service as shipped: the copy published 0640 aafd:entreaders in /var/lib/aafd-ent (setgid, no fchown), read by the group; an unwritable folder is the incident publication-failed in status"

# 9. An upgrade (dpkg -i over itself: prerm upgrade, postinst configure) stops the running units and starts exactly
# those again, enabled or not; a stopped one stays stopped; the data stays.
declare -A before_pid
for unit in aafd.service aafd@b.service aafd-import.timer; do
    [ "$(show $unit ActiveState)" = active ] || fail "$unit should run before the upgrade"
    before_pid[$unit]=$(show $unit MainPID)
done
[ "$(show aafd@a.service ActiveState)" = inactive ] || fail "aafd@a should be stopped before the upgrade"
ct dpkg -i /srv/in/aafd.deb >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "dpkg -i over itself"; }
for unit in aafd.service aafd@b.service; do
    [ "$(show $unit ActiveState)" = active ] || { cat "$work/upgrade.log"; fail "$unit not running after the upgrade"; }
    [ "$(show $unit MainPID)" != "${before_pid[$unit]}" ] || fail "$unit was not stopped for the upgrade"
done
[ "$(show aafd-import.timer ActiveState)" = active ] || fail "the timer is not active after the upgrade"
[ "$(show aafd@a.service ActiveState)" = inactive ] || fail "the upgrade started aafd@a, which was stopped"
imported "$db" 2025-09-03 || fail "the upgrade lost the directory"
pass "upgrade (dpkg -i over itself): aafd.service, aafd@b (started by hand, not enabled) and the timer stopped and started again with new PIDs; aafd@a, stopped, stays stopped; the directory kept"

# 10. Purge with three communes' state: every unit stopped, every state folder erased (the instances' in
# /var/lib/private too, found by the units' names: their dynamic users' files have no inventory), one certificate.
ct dpkg --purge aafd >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg --purge in the container"; }
for unit in aafd.service aafd@b.service aafd-import.timer; do
    [ "$(show $unit ActiveState)" != active ] || fail "$unit still runs after the purge"
done
left=$(ct sh -c 'ls -d /var/lib/aafd* /var/lib/private/aafd* 2>/dev/null' || true)
[ -z "$left" ] || fail "left after the purge: $left"
# The instances' configurations are the administrator's files, not the package's: they stay, and nothing else.
kept=$(ct sh -c 'ls /etc/aafd 2>/dev/null | tr "\n" " "' || true)
[ "$kept" = "a.toml b.toml " ] || fail "left in /etc/aafd after the purge: $kept"
certificate=$(ct sh -c 'ls /var/backups/aafd-deletion-certificate-*.txt')
text=$(ct cat "$certificate")
for expected in "Parties : Mairie de aafd" "/var/lib/aafd/aafd.sqlite3" "/var/lib/private/aafd-b/aafd.sqlite3" "/etc/aafd/b_rsa"; do
    echo "$text" | grep -qF "$expected" || { echo "$text"; fail "the certificate lacks: $expected"; }
done
pass "dpkg --purge: units stopped, /var/lib/aafd, the instances' /var/lib/private/aafd-*, the keys and the conffile erased (the administrator's a.toml and b.toml stay); one certificate ($(echo "$text" | wc -l) lines) with aafd's inventory and every file erased"

# 11. Issue 20: a compromised aafd user against the package's scripts. Victims: root's files. A daemon started by
# hand as aafd (as cron's one-shot would run) must be stopped by dpkg -r; then, before each purge, aafd plants an
# erase list and a certificate link where the old inventory was, a file name that forges a certificate line, and
# swaps a regular file with a link to a victim (renameat2 RENAME_EXCHANGE) in a loop while root purges. 20 fresh
# runs: every victim intact, the certificate names none.
gcc -static -O2 -o "$work/in/swap" Fixtures/attacks/swap.c || fail "cannot build the swap attack"
ct sh -c 'mkdir -p /root/victims/dir && echo VICTIM >/root/victims/file && echo VICTIM >/root/victims/dir/inside &&
    echo "root-only secret" >/root/victims/secret && chmod 0600 /root/victims/file /root/victims/secret &&
    chmod 0755 /root /root/victims'
kill_aafd() { ct sh -c 'u=$(id -u aafd); for p in /proc/[0-9]*; do [ "$(stat -c %u $p 2>/dev/null)" = "$u" ] && kill -9 ${p#/proc/}; done; true'; }
aafd_procs() { ct sh -c 'u=$(id -u aafd); for p in /proc/[0-9]*; do [ "$(stat -c %u $p 2>/dev/null)" = "$u" ] && echo ${p#/proc/}; done; true'; }
left_behind=0
for run in $(seq 20); do
    ct dpkg -i /srv/in/aafd.deb >"$work/attack-i.log" 2>&1 || { cat "$work/attack-i.log"; fail "attack run $run: dpkg -i"; }
    if [ "$run" = 1 ]; then
        ct ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -f /etc/aafd/aafd_rsa
        ct sh -c 'cat /etc/aafd/aafd_rsa.pub >>/root/.ssh/authorized_keys && ssh-keyscan -p 2222 -t ed25519 127.0.0.1 2>/dev/null >/etc/aafd/known_hosts'
        config aafd /srv/drop "06:30"
        ct setsid runuser -u aafd -- aafd run --config /etc/aafd/aafd.toml >/dev/null 2>&1 &
        sleep 1
        [ -n "$(aafd_procs)" ] || fail "the hand-started daemon did not run"
    fi
    ct dpkg -r aafd >"$work/attack-r.log" 2>&1 || { cat "$work/attack-r.log"; fail "attack run $run: dpkg -r"; }
    [ -z "$(aafd_procs)" ] || fail "attack run $run: an aafd process outlived dpkg -r"
    ct runuser -u aafd -- sh -c '
        mkdir -p /var/lib/aafd/.purge-inventory /var/lib/aafd/spool
        printf "file /root/victims/file\ntree /root/victims/dir\n" >/var/lib/aafd/.purge-inventory/aafd.erase
        ln -sf /root/victims/secret /var/lib/aafd/.purge-inventory/aafd.certificate
        echo x >"/var/lib/aafd/spool/x
999999999	FORGED-ENTRY"'
    ct setsid runuser -u aafd -- /srv/in/swap /var/lib/aafd/spool /root/victims/file 20 >/dev/null 2>&1 &
    sleep 0.2
    ct dpkg --purge aafd >"$work/attack-purge.log" 2>&1 || { cat "$work/attack-purge.log"; fail "attack run $run: purge"; }
    kill_aafd
    [ "$(ct cat /root/victims/file)" = VICTIM ] && [ "$(ct cat /root/victims/dir/inside)" = VICTIM ] &&
        [ "$(ct cat /root/victims/secret)" = "root-only secret" ] || fail "attack run $run: a victim was changed"
    certificate=$(ct sh -c 'ls /var/backups/aafd-deletion-certificate-*.txt | tail -1')
    if ct grep -q "root-only secret\|/root/victims\|^ *FORGED-ENTRY" "$certificate"; then
        fail "attack run $run: the certificate names a victim or a forged entry"
    fi
    if ct test -e /var/lib/aafd; then
        ct grep -q "/var/lib/aafd : non supprimé" "$certificate" || fail "attack run $run: /var/lib/aafd left, unsaid"
        left_behind=$((left_behind + 1))
        ct rm -rf /var/lib/aafd
    fi
    ct rm -f "$certificate"
done
pass "compromised aafd user, 20 fresh runs in the container: dpkg -r stopped the hand-started daemon; planted list, certificate link, forging name and swap loop during the purge left every victim intact and the certificate clean ($left_behind runs left the still-written folder, said in the certificate)"

echo "systemd test: $checks checks passed in $(($(date +%s) - started)) s (boot $boot s)"
