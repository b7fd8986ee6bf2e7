# Shared by test-systemd.sh and test-walkthrough.sh: a Debian 12 container (debootstrap, cached outside the
# repository) booted with systemd-nspawn on a throwaway overlay, with WORK/in bound read-only at /srv/in.
# Needs `fail` defined by the caller. Sets: root, work, nspawn, init, boot (seconds), started, checks; defines
# container_prerequisites, pass, ct, show, wait_for.

# container_prerequisites SCRIPT TOOL...: root, the Swift toolchain on PATH, each tool present.
container_prerequisites() {
    local script="$1"
    shift
    [ "$(id -u)" -eq 0 ] || { echo "$script: needs root (systemd-nspawn)"; exit 1; }
    command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "$script: $tool missing (scripts/install-deps.sh)"; exit 1; }
    done
}
started=$(date +%s)
checks=0
pass() { checks=$((checks + 1)); echo "ok $checks - $*"; }
cache="${AAFD_CONTAINER_CACHE:-/var/cache/aafd-test}"
root="$cache/bookworm"
build_container_root() {
    local mirror
    mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
    [ -x "$root/lib/systemd/systemd" ] && return 0
    rm -rf "$root.tmp"
    mkdir -p "$cache"
    local t0
    t0=$(date +%s)
    debootstrap --variant=minbase \
        --include=systemd,systemd-sysv,dbus,openssh-server,libxml2,libsqlite3-0,libssh-4,libssl3,sqlite3,procps,iproute2 \
        bookworm "$root.tmp" "${mirror:-http://deb.debian.org/debian}" >"$cache/debootstrap.log" 2>&1 ||
        { tail -20 "$cache/debootstrap.log"; fail "debootstrap"; }
    echo "aafd-test" >"$root.tmp/etc/hostname"
    mv "$root.tmp" "$root"
    echo "   container root built in $(($(date +%s) - t0)) s ($(du -sh "$root" | cut -f1))"
}

work=$(mktemp -d /tmp/aafd-container-test.XXXXXX)
nspawn=""
init=""
cleanup() {
    if [ -n "$init" ]; then nsenter -t "$init" -a systemctl poweroff >/dev/null 2>&1 || true; fi
    if [ -n "$nspawn" ]; then
        for _ in $(seq 50); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$nspawn" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
ct() { nsenter -t "$init" -a "$@"; }
show() { ct systemctl show "$1" -p "$2" --value; }
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
    local deadline=$(($(date +%s) + $1)) what="$2"
    shift 2
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "timed out waiting for $what"
        sleep 0.2
    done
}

# Boots the container, on a tmpfs overlay: the cached root stays as debootstrap made it.
boot_container() {
    local boot0
    boot0=$(date +%s.%N)
    systemd-nspawn -D "$root" --volatile=overlay -b --register=no --private-network --keep-unit --console=passive \
        --bind-ro="$work/in:/srv/in" >"$work/nspawn.log" 2>&1 &
    nspawn=$!
    for _ in $(seq 100); do
        init=$(pgrep -P "$nspawn" | head -1 || true)
        [ -n "$init" ] && [ "$(cat /proc/"$init"/comm 2>/dev/null)" = systemd ] && break
        init=""
        sleep 0.1
    done
    [ -n "$init" ] || { cat "$work/nspawn.log"; fail "the container did not boot (systemd-nspawn)"; }
    wait_for 60 "the container's systemd" sh -c "nsenter -t $init -a systemctl is-system-running | grep -Eq 'running|degraded'"
    boot=$(awk -v a="$boot0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
    echo "   booted systemd $(ct systemctl --version | head -1 | cut -d' ' -f2) in $boot s ($(ct systemd-analyze time 2>/dev/null | head -1))"
}
