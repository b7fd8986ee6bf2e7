# Shared by demo.sh and bench-sftp.sh: a throwaway OpenSSH sshd on 127.0.0.1 with its default algorithms.
# start_sshd DIR SERVED_FOLDER: writes DIR/{host_ed25519,sshd_config,sshd.pid}, a client RSA-2048 key in
# DIR/client_rsa (authorized), a pinned known_hosts in DIR/known_hosts; sets SSHD_PORT; stops it on exit.
# free_port: sets SSHD_PORT to a port nothing listens on at 127.0.0.1.
free_port() {
    SSHD_PORT=""
    for _ in $(seq 50); do
        local p=$(( 20000 + RANDOM % 40000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then SSHD_PORT=$p; break; fi
    done
    [ -n "$SSHD_PORT" ] || { echo "no free port on 127.0.0.1"; return 1; }
}

start_sshd() {
    local dir="$1" served="$2"
    mkdir -p -m 0700 "$dir"
    ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519"
    ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C aafd-local -f "$dir/client_rsa"
    cp "$dir/client_rsa.pub" "$dir/authorized_keys"
    free_port || return 1
    sed -e "s#@PORT@#$SSHD_PORT#" -e "s#@DIR@#$dir#" "$(dirname "${BASH_SOURCE[0]}")/../Fixtures/sshd/sshd_config.in" > "$dir/sshd_config"
    mkdir -p /run/sshd
    /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
    # shellcheck disable=SC2064
    trap "kill \$(cat '$dir/sshd.pid' 2>/dev/null) 2>/dev/null || true" EXIT
    for _ in $(seq 100); do ssh-keyscan -p "$SSHD_PORT" -t ed25519 127.0.0.1 >/dev/null 2>&1 && break; sleep 0.1; done
    # Pinning, as an operator does with the académie's server after checking the fingerprint.
    ssh-keyscan -p "$SSHD_PORT" -t ed25519 127.0.0.1 2>/dev/null > "$dir/known_hosts"
    SSHD_SERVED="$served"
}

# start_proftpd DIR SERVED_FOLDER: a throwaway ProFTPD 1.3.8 mod_sftp on 127.0.0.1 (DefaultRoot ~, public key only,
# RSA host key), whose virtual user's home is SERVED_FOLDER (so remote_dir is "/"). Same outputs as start_sshd:
# DIR/client_rsa, DIR/known_hosts, SSHD_PORT; login in PROFTPD_USER. Stops it on exit.
start_proftpd() {
    local dir="$1" served="$2"
    mkdir -p -m 0700 "$dir"
    ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -f "$dir/host_rsa"
    ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C aafd-local -f "$dir/client_rsa"
    ssh-keygen -e -f "$dir/client_rsa.pub" > "$dir/authorized_keys"
    PROFTPD_USER=academie
    echo "$PROFTPD_USER:x:0:0::$served:/bin/sh" > "$dir/passwd"
    chmod 600 "$dir/passwd"
    free_port || return 1
    cat > "$dir/proftpd.conf" <<CONF
ServerName "aafd-bench"
ServerType standalone
DefaultServer on
Port $SSHD_PORT
DefaultAddress 127.0.0.1
SocketBindTight on
UseIPv6 off
User nobody
Group nogroup
PidFile $dir/proftpd.pid
ScoreboardFile $dir/proftpd.scoreboard
DelayTable none
WtmpLog off
UseReverseDNS off
SystemLog $dir/system.log
ModulePath /usr/lib/proftpd
LoadModule mod_sftp.c
AuthOrder mod_auth_file.c
AuthUserFile $dir/passwd
RequireValidShell off
RootLogin on
DefaultRoot ~
SFTPEngine on
SFTPLog $dir/sftp.log
SFTPHostKey $dir/host_rsa
SFTPAuthorizedUserKeys file:$dir/authorized_keys
SFTPAuthMethods publickey
CONF
    /usr/sbin/proftpd -q -c "$dir/proftpd.conf"
    # shellcheck disable=SC2064
    trap "kill \$(cat '$dir/proftpd.pid' 2>/dev/null) 2>/dev/null || true" EXIT
    for _ in $(seq 100); do ssh-keyscan -p "$SSHD_PORT" -t rsa 127.0.0.1 >/dev/null 2>&1 && break; sleep 0.1; done
    ssh-keyscan -p "$SSHD_PORT" -t rsa 127.0.0.1 2>/dev/null > "$dir/known_hosts"
    SSHD_SERVED="$served"
}
