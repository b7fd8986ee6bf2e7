#!/usr/bin/env bash
# From `apt install` to the first morning's import, as a new town-hall administrator would do it (issue 25): in a
# booted Debian 12 container (scripts/lib-container.sh), through a real terminal (tmux), using only `aafd setup`
# and what it prints. The académie's side (its SFTP server, the fingerprint it gives by phone, installing the public
# key from the request mailed to it) is played by the script and not counted. Counts the commands the administrator
# types and the time, and the same for the path documented before `aafd setup` existed (by hand, as
# operations.md "What setup does, by hand" still describes it), run in the same container after a purge.
# Needs root. Usage: scripts/test-walkthrough.sh [DEB]   (default: builds it with scripts/package.sh)
set -eu
cd "$(dirname "$0")/.."
fail() {
    echo "FAIL: $*"
    if [ -n "${session:-}" ]; then
        tmux capture-pane -p -J -S -300 -t "$session" 2>/dev/null | grep -v '^$' | tail -60
        tmux kill-session -t "$session" 2>/dev/null || true
    fi
    [ -n "${init:-}" ] && ct journalctl --no-pager -n 30 -u 'aafd*' 2>/dev/null | tail -30
    exit 1
}
source scripts/lib-container.sh
container_prerequisites test-walkthrough.sh debootstrap systemd-nspawn nsenter tmux
build_container_root

deb="${1:-}"
if [ -z "$deb" ]; then deb=$(scripts/package.sh "$work/pkg" | tail -1); fi
mkdir -p "$work/in"
debname=$(basename "$deb")
cp "$deb" "$work/in/$debname"
fixtures="$(swift build --show-bin-path)/aafd-fixtures"
[ -x "$fixtures" ] || swift build --product aafd-fixtures >/dev/null
"$fixtures" delivery --out "$work/in/d1" --pupils 300 --schools 3 --date 20250901 >/dev/null
boot_container

# The académie's side: its SFTP server (127.0.0.1:2222, this morning's delivery in /srv/drop, no key installed
# yet) and the fingerprint of its host key, which it gives by another channel.
academie() {
    ct sh -c 'ssh-keygen -A >/dev/null
        printf "Port 2222\nListenAddress 127.0.0.1\nPasswordAuthentication no\nPermitRootLogin prohibit-password\n" \
            >/etc/ssh/sshd_config.d/test.conf
        install -d -m 700 /root/.ssh && : >/root/.ssh/authorized_keys
        rm -rf /srv/drop && mkdir -p /srv/drop && cp -r /srv/in/d1/. /srv/drop/'
    ct systemctl restart ssh
    wait_for 10 "the académie's sshd" sh -c "nsenter -t $init -a ssh-keyscan -p 2222 127.0.0.1 | grep -q ssh-"
    fingerprint=$(ct ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub | awk '{print $2}')
}

# The administrator's terminal: a root shell in the container, in tmux on this host.
session="aafd-walk-$$"
screen() { tmux capture-pane -p -J -S -1000 -t "$session"; }
seen() { screen | grep -qF -- "$1"; }
wait_screen() { # wait_screen TEXT [SECONDS]
    local deadline=$(($(date +%s) + ${2:-30}))
    until seen "$1"; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "the screen never showed: $1"
        sleep 0.2
    done
}
typed=0
commands=()
# type_command COMMAND: the administrator types a command (counted); its exit status shows after it (not typed:
# the prompt of this test's shell prints it).
type_command() {
    typed=$((typed + 1))
    commands+=("$1")
    tmux send-keys -t "$session" -l "$1"
    tmux send-keys -t "$session" Enter
}
answer() { # answer TEXT: an answer to a question (not a command)
    [ -z "$1" ] || tmux send-keys -t "$session" -l "$1"
    tmux send-keys -t "$session" Enter
}
last_status() { screen | grep -o '\[exit [0-9]*\]' | tail -1 | tr -dc 0-9; }
wait_command() { # wait_command N SECONDS: the Nth command's status has shown
    local deadline=$(($(date +%s) + $2))
    until [ "$(screen | grep -c '^\[exit [0-9]*\]')" -ge $((base + $1)) ]; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "command $1 (${commands[$(($1 - 1))]}) did not end in $2 s"
        sleep 0.2
    done
}
open_terminal() {
    tmux kill-session -t "$session" 2>/dev/null || true
    tmux new-session -d -s "$session" -x 200 -y 100 \
        "nsenter -t $init -a env -i TERM=xterm HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin PROMPT_COMMAND='echo \"[exit \$?]\"' PS1='# ' bash --norc -i"
    wait_screen "# " 10
    tmux send-keys -t "$session" "clear; tmux_clear=1" Enter
    sleep 0.3
    tmux clear-history -t "$session"
    base=$(screen | grep -c '^\[exit [0-9]*\]' || true)
    typed=0
    commands=()
}

# ---- 1. With aafd setup ----
academie
open_terminal
t0=$(date +%s.%N)
type_command "apt install -y /srv/in/$debname"
wait_command 1 120
[ "$(last_status)" = 0 ] || fail "apt install"
seen "aafd setup" || fail "postinst's next steps do not name aafd setup"

type_command "aafd setup"
wait_screen "Commune: "
answer "?"
wait_screen "printed on certificates"
answer "Mairie de Walkville"
wait_screen "Contact for the académie"
answer "M. Martin, DSI, 01 02 03 04 05"
wait_screen "SFTP server (name or address)"
answer "127.0.0.1"
wait_screen "Port [22]: "
answer "2222"
wait_screen "Public IP address this machine connects from"
answer "203.0.113.7"
wait_screen "(SHA256:…)"
answer "$fingerprint"
wait_screen "the server's key matches"
wait_screen "Login"
answer "root"
wait_screen "Private key file [/etc/aafd/aafd_rsa]: "
answer ""
wait_screen "Pinned host key file [/etc/aafd/known_hosts]: "
answer ""
wait_screen "Remote folder"
answer "/srv/drop"
wait_screen "Fetch every day at (HH:MM) [06:30]: "
answer ""
wait_screen "once the link works? (y/n) [n]: "
answer "y"
wait_command 2 60
[ "$(last_status)" = 0 ] || fail "aafd setup, first run"
seen "Send the request above to the académie" || fail "setup did not say what to do with the request"
seen "Adresse IP source de la connexion : 203.0.113.7" || fail "the request lacks the source address"
seen "the server's folders are listed once" || fail "setup did not say why the folders are not listed"
# What the académie receives: the request as printed, its public key installed on the server.
public=$(screen | grep -o 'ssh-rsa AAAA[A-Za-z0-9+/=]*' | head -1)
[ -n "$public" ] || fail "no public key in the request"
[ "$(ct cut -d' ' -f1,2 /etc/aafd/aafd_rsa.pub)" = "$public" ] || fail "the request's key is not the key made"
ct sh -c "echo '$public' >>/root/.ssh/authorized_keys"
[ "$(ct stat -c '%U %a' /etc/aafd/aafd_rsa)" = "aafd 600" ] || fail "the key: $(ct stat -c '%U %a' /etc/aafd/aafd_rsa)"
screen | grep -v '^$' | sed 's/^/   | /'
pass "aafd setup, first run: the fingerprint checked, the configuration written, the key made (aafd, 0600), the request printed with the exact public key"

# Once the académie has installed the key: what setup printed, in order.
next=$(screen | grep -o 'once it installed the key: .*' | tail -1)
echo "   setup said: $next"
type_command "aafd check-config --connect"
wait_command 3 60
[ "$(last_status)" = 0 ] || fail "check-config --connect"
seen "would download 20250901" || fail "check-config --connect did not list the delivery"
type_command "systemctl enable --now aafd.service"
wait_command 4 60
[ "$(last_status)" = 0 ] || fail "systemctl enable --now"
wait_for 60 "the first import" sh -c "[ \"\$(nsenter -t $init -a sqlite3 -readonly /var/lib/aafd/aafd.sqlite3 \"SELECT count(*) FROM import_runs WHERE outcome = 'imported'\")\" = 1 ]"
t1=$(date +%s.%N)
[ "$(ct stat -c %U /var/lib/aafd/aafd.sqlite3)" = aafd ] || fail "the directory is not the aafd user's"
ct aafd status | grep -q "last success: delivery of 2025-09-01" || fail "aafd status: $(ct aafd status)"
with_setup=$typed
with_setup_time=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", b-a}')
pass "from apt install to the first import as the aafd user: $with_setup commands typed (${commands[*]}), ${with_setup_time} s including the académie's part"

# ---- 2. The path documented before aafd setup, in the same container after a purge ----
ct systemctl disable --now aafd.service >/dev/null 2>&1
ct dpkg --purge aafd >/dev/null 2>&1 || fail "purge before the manual path"
ct rm -f /var/backups/aafd-deletion-certificate-*.txt
academie
open_terminal
t0=$(date +%s.%N)
n=0
step() { # step SECONDS COMMAND: typed and checked
    n=$((n + 1))
    type_command "$2"
    wait_command "$n" "$1"
    [ "$(last_status)" = 0 ] || fail "by hand, step $n: $2"
}
step 120 "apt install -y /srv/in/$debname"
# The configuration: an editor session in reality; here the same keys written in one command, counted as one.
step 10 "sed -i -e 's/^# \\[directory\\]$/[directory]/' -e 's|^# database = .*|database = \"/var/lib/aafd/aafd.sqlite3\"|' -e 's/^# \\[convention\\]$/[convention]/' -e 's/^# commune = .*/commune = \"Mairie de Walkville\"/' /etc/aafd/aafd.toml"
step 30 "ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C 'aafd ENT1D Walkville' -f /etc/aafd/aafd_rsa"
step 10 "chown aafd: /etc/aafd/aafd_rsa"
step 10 "chmod 600 /etc/aafd/aafd_rsa"
step 10 "cat /etc/aafd/aafd_rsa.pub"
public=$(screen | grep -o 'ssh-rsa AAAA[A-Za-z0-9+/=]*' | head -1)
ct sh -c "echo '$public' >>/root/.ssh/authorized_keys"
step 10 "ssh-keyscan -p 2222 -t ed25519,rsa 127.0.0.1 > /etc/aafd/known_hosts"
step 10 "ssh-keygen -lf /etc/aafd/known_hosts"
seen "$fingerprint" || fail "by hand: the fingerprint to compare by eye is not shown"
step 10 "sed -i -e 's/^# \\[sftp\\]$/[sftp]/' -e 's/^# host = .*/host = \"127.0.0.1\"/' -e 's/^# port = .*/port = 2222/' -e 's/^# user = .*/user = \"root\"/' -e 's|^# private_key = .*|private_key = \"/etc/aafd/aafd_rsa\"|' -e 's|^# known_hosts = .*|known_hosts = \"/etc/aafd/known_hosts\"|' -e 's|^# remote_dir = .*|remote_dir = \"/srv/drop\"|' /etc/aafd/aafd.toml"
step 60 "aafd check-config --connect"
step 60 "systemctl enable --now aafd.service"
wait_for 60 "the first import, by hand" sh -c "[ \"\$(nsenter -t $init -a sqlite3 -readonly /var/lib/aafd/aafd.sqlite3 \"SELECT count(*) FROM import_runs WHERE outcome = 'imported'\")\" = 1 ]"
t1=$(date +%s.%N)
by_hand=$typed
by_hand_time=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", b-a}')
pass "the path documented before aafd setup: $by_hand commands (two of them whole editor sessions, here one sed each), ${by_hand_time} s typed by a script; by a person, each TOML key and the fingerprint comparison by eye"

[ "$with_setup" -le 4 ] || fail "aafd setup took $with_setup commands (goal: at most 4)"
tmux kill-session -t "$session" 2>/dev/null || true
session=""
echo "walk-through: $checks checks passed in $(($(date +%s) - started)) s (boot $boot s); commands typed: with aafd setup $with_setup, by hand $by_hand"
