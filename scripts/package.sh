#!/usr/bin/env bash
# Builds aafd_VERSION_amd64.deb from this checkout on Debian 12 with Debian's own tools (ADR 0013): a release
# build with the Swift runtime linked statically, a staged tree, dpkg-shlibdeps for the Depends line,
# dpkg-gencontrol, dpkg-deb. The man page and the completions are generated from the binary's own argument
# definitions. Usage: scripts/package.sh [OUTPUT_DIR] (default .build-package); the last line is the .deb's path.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 022
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
for tool in dpkg-shlibdeps dpkg-gencontrol dpkg-deb dpkg-parsechangelog; do
    command -v "$tool" >/dev/null || { echo "package.sh: $tool missing: apt-get install dpkg-dev"; exit 1; }
done
scratch=.build-package
out="${1:-$scratch}"
mkdir -p "$out"

# The version's one place is Sources/AAFCommands/Version.swift; the Debian changelog's entry must name it.
version=$(sed -n 's/.*static let string = "\(.*\)".*/\1/p' Sources/AAFCommands/Version.swift)
logged=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
if [ "$version" != "$logged" ]; then
    echo "package.sh: Version.swift says $version, packaging/debian/changelog's last entry $logged: add an entry"
    exit 1
fi
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l packaging/debian/changelog -S Timestamp)
export SOURCE_DATE_EPOCH

# Release build, Swift runtime static (the package depends on Debian libraries only), full RELRO.
source scripts/lib-ship-build.sh
ship_build "$scratch"
bin="$scratch/release/aafd"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src="$work/src"
root="$src/debian/aafd"
mkdir -p "$src/debian" "$root/DEBIAN"
cp packaging/debian/control packaging/debian/changelog "$src/debian/"

# The program, stripped as dh_strip does.
install -D -m 0755 "$bin" "$root/usr/bin/aafd"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$root/usr/bin/aafd"

# systemd units (Debian 12 keeps them in /lib), the system user and the state folder.
for unit in Config/systemd/*; do
    sed 's#/usr/local/bin/aafd#/usr/bin/aafd#g' "$unit" >"$work/unit"
    install -D -m 0644 "$work/unit" "$root/lib/systemd/system/$(basename "$unit")"
done
install -D -m 0644 Config/sysusers.d/aafd.conf "$root/usr/lib/sysusers.d/aafd.conf"
install -D -m 0644 Config/tmpfiles.d/aafd.conf "$root/usr/lib/tmpfiles.d/aafd.conf"

# The conffile: the commented example, every setting commented out, so nothing runs until it is edited.
{
    echo "# /etc/aafd/aafd.toml, installed by the aafd package: INACTIVE until you edit it. Every setting below is"
    echo "# commented out, so 'aafd check-config' says what is missing (exit 78) and the service would not start."
    echo "# Uncomment and set at least [directory] database, the [sftp] keys and [convention]; then, as root,"
    echo "# 'aafd setup key' (the key pair, and the request to mail to the academie), 'aafd setup host-key"
    echo "# --fingerprint SHA256:...' once it answered, and 'aafd check-config --connect'. aafd setup --help;"
    echo "# /usr/share/doc/aafd/operations.md. dpkg keeps your edits."
    echo "#"
    sed -E 's/^([^#[:space:]])/# \1/' Config/aafd.example.toml
} >"$work/aafd.toml"
install -D -m 0644 "$work/aafd.toml" "$root/etc/aafd/aafd.toml"
echo "/etc/aafd/aafd.toml" >"$root/DEBIAN/conffiles"

# Documentation: copyright, changelog, the operator's and the DPO's guides, the examples.
doc="$root/usr/share/doc/aafd"
install -D -m 0644 packaging/debian/copyright "$doc/copyright"
gzip -9n <packaging/debian/changelog >"$work/changelog.gz"
install -m 0644 "$work/changelog.gz" "$doc/changelog.gz"
install -m 0644 Docs/operations.md Docs/data-protection.md Docs/ent-interface.md "$doc/"
install -D -m 0644 Config/aafd.example.toml "$doc/examples/aafd.example.toml"
sed 's#/usr/local/bin/aafd#/usr/bin/aafd#g' Config/cron/aafd >"$work/cron"
install -D -m 0644 "$work/cron" "$doc/examples/cron.d-aafd"
install -D -m 0644 packaging/debian/lintian-overrides "$root/usr/share/lintian/overrides/aafd"

# The man page, from the command line's own definitions and packaging/man/ (DESCRIPTION, FILES, EXIT STATUS,
# EXAMPLES, SEE ALSO; issue 25: generate-manual lost every accented letter), and the completions.
date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
mkdir -p "$work/man"
python3 scripts/man-page.py "$root/usr/bin/aafd" "$date" "$version" >"$work/man/aafd.1"
mkdir -p "$root/usr/share/man/man1"
gzip -9n <"$work/man/aafd.1" >"$root/usr/share/man/man1/aafd.1.gz"
chmod 0644 "$root/usr/share/man/man1/aafd.1.gz"
# A completion file is sourced, not run: no #! line (lintian's bash-completion-with-hashbang).
"$root/usr/bin/aafd" --generate-completion-script bash | sed '1{/^#!/d}' >"$work/aafd.bash"
"$root/usr/bin/aafd" --generate-completion-script zsh >"$work/_aafd"
"$root/usr/bin/aafd" --generate-completion-script fish >"$work/aafd.fish"
install -D -m 0644 "$work/aafd.bash" "$root/usr/share/bash-completion/completions/aafd"
install -D -m 0644 "$work/_aafd" "$root/usr/share/zsh/vendor-completions/_aafd"
install -D -m 0644 "$work/aafd.fish" "$root/usr/share/fish/vendor_completions.d/aafd.fish"

# Maintainer scripts.
for script in postinst prerm postrm; do
    install -m 0755 "packaging/debian/$script" "$root/DEBIAN/$script"
done

# Depends computed from the binary's libraries; control and md5sums as dpkg expects.
(cd "$src" && dpkg-shlibdeps -Tdebian/aafd.substvars debian/aafd/usr/bin/aafd)
(cd "$src" && dpkg-gencontrol -paafd -Pdebian/aafd -Tdebian/aafd.substvars)
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\n' | LC_ALL=C sort | xargs md5sum >DEBIAN/md5sums)
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control" "$root/DEBIAN/conffiles"

deb="$out/aafd_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
