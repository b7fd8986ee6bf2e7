# Shared by demo.sh and bench-sftp.sh: a throwaway OpenSSH sshd on 127.0.0.1 with its default algorithms.
# start_sshd DIR SERVED_FOLDER: writes DIR/{host_ed25519,sshd_config,sshd.pid}, a client RSA-2048 key in
# DIR/client_rsa (authorized), a pinned known_hosts in DIR/known_hosts; sets SSHD_PORT; stops it on exit.
start_sshd() {
    local dir="$1" served="$2"
    mkdir -p -m 0700 "$dir"
    ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519"
    ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C aafd-local -f "$dir/client_rsa"
    cp "$dir/client_rsa.pub" "$dir/authorized_keys"
    SSHD_PORT=""
    for _ in $(seq 50); do
        local p=$(( 20000 + RANDOM % 40000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then SSHD_PORT=$p; break; fi
    done
    [ -n "$SSHD_PORT" ] || { echo "no free port on 127.0.0.1"; return 1; }
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
