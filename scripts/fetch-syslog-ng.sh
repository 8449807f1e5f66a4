#!/bin/sh
# Unpacks Debian's syslog-ng-core into a private directory for the syslog-ng
# relay tests (test/e2e/syslog-ng*.test.ts). syslog-ng-core conflicts with
# rsyslog as a Debian package (both provide system-log-daemon), so it is
# never installed: `apt-get download` + `dpkg -x`, plus the few libraries it
# needs that a machine with rsyslog lacks. Idempotent; prints the directory.
#
#   scripts/fetch-syslog-ng.sh            # into .tmp/syslog-ng (git-ignored)
#   OGRT_SYSLOG_NG_DIR=/x scripts/fetch-syslog-ng.sh
#
# Run it as: LD_LIBRARY_PATH=$D/usr/lib/syslog-ng:$D/usr/lib/x86_64-linux-gnu:$D/lib/x86_64-linux-gnu
#   $D/usr/sbin/syslog-ng --module-path=$D/usr/lib/syslog-ng/3.38 -F -f CONF ...
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
dest=${OGRT_SYSLOG_NG_DIR:-$repo/.tmp/syslog-ng}
if [ -x "$dest/usr/sbin/syslog-ng" ]; then echo "$dest"; exit 0; fi

pkgs=syslog-ng-core
for lib in libivykis0 libnet1 libpcre3 libwrap0 libjson-c5 libglib2.0-0 libcap2 libssl3 libsystemd0; do
  dpkg -s "$lib" >/dev/null 2>&1 || pkgs="$pkgs $lib"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# Download as root into a private directory (apt's _apt sandbox user cannot write here).
fetch() { apt-get -q -o APT::Sandbox::User=root download $pkgs >/dev/null; }
fetch || { apt-get update -qq && fetch; }

mkdir -p "$work/root"
for deb in ./*.deb; do dpkg -x "$deb" "$work/root"; done
[ -x "$work/root/usr/sbin/syslog-ng" ] || { echo "fetch-syslog-ng: no syslog-ng binary in $pkgs" >&2; exit 1; }
# Copy next to the destination, then rename: atomic, so a concurrent run sees
# either nothing or a complete tree.
mkdir -p "$(dirname "$dest")"
partial="$dest.partial.$$"
cp -a "$work/root" "$partial"
mv -T "$partial" "$dest" 2>/dev/null || rm -rf "$partial"
[ -x "$dest/usr/sbin/syslog-ng" ]
echo "$dest"
