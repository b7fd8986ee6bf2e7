#!/usr/bin/env bash
# Installs the Debian 12 packages aafd needs to build, test and run. Idempotent; needs root (or sudo).
set -euo pipefail
packages=(libxml2-dev libsqlite3-dev libssh-dev libssl-dev pkg-config gcc libc6-dev openssh-server openssh-client libxml2-utils sqlite3 systemd)
# The SFTP interoperability matrix (issue 8): ProFTPD's mod_sftp, and a venv for asyncssh's SFTP server.
# The LDIF round trip (issue 12): OpenLDAP's slapd and its clients; the tests start their own slapd.
# The Debian package (issue 13): Debian's packaging tools, lintian, man-db for `man -w aafd`. A booted systemd
# (issue 15): debootstrap and systemd-nspawn. A moving clock (issue 23): faketime. A real terminal (issue 25): tmux.
# The documents as PDF (issue 26): groff (gropdf; the package suggests it) and poppler-utils to read them. gdb:
# scripts/bounded.sh prints the threads of a test process that hangs. strace: an import's statement journals stay in
# memory (issue 24, StatementJournalTests).
[ "${AAFD_NO_TEST_SERVERS:-}" = "1" ] ||
    packages+=(proftpd-core proftpd-mod-crypto gesftpserver python3-venv time slapd ldap-utils dpkg-dev binutils lintian man-db
        debootstrap systemd-container faketime tmux groff poppler-utils gdb strace)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "installing: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Installing proftpd-core may start a daemon on port 21 where an init system runs; the tests start their own.
if [ "${AAFD_NO_TEST_SERVERS:-}" != "1" ] && [ ! -x .build/test-venv/bin/python ]; then
    mkdir -p .build
    /usr/bin/python3 -m venv .build/test-venv
    .build/test-venv/bin/pip install -q --disable-pip-version-check 'asyncssh>=2.14,<3'
fi
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
command -v swift >/dev/null || { echo "swift not found: install the Swift 6 toolchain (e.g. in /opt/swift)"; exit 1; }
