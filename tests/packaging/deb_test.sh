#!/usr/bin/env bash
# deb_test.sh — builds the .deb packages with CPack from a built tree, checks their metadata and
# contents with dpkg-deb, and, as root, installs them with dpkg -i (no systemd needed), runs the
# installed binaries, checks the lontar user and state folder, and removes them again.
# Exit 77 (CTest: skipped) for what cannot run here, with the reason.
set -euo pipefail
build=${1:?usage: deb_test.sh <build dir>}
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in cpack dpkg-deb; do
  command -v $tool >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
tmp=$(mktemp -d)
installed=()
cleanup() {
  if ((${#installed[@]})); then dpkg --purge "${installed[@]}" >/dev/null 2>&1 || true; fi
  if [[ -n "${created_user:-}" ]]; then deluser --system --quiet lontar >/dev/null 2>&1 || true; fi
  if [[ -n "${created_state:-}" ]]; then rm -rf /var/lib/lontar; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; fail "cpack -G DEB failed"; }
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
arch=$(dpkg --print-architecture)
declare -A deb
for p in lontar-server lontar-agent lontar-audit; do
  deb[$p]="$tmp/out/${p}_${version}_${arch}.deb"
  [[ -f ${deb[$p]} ]] || { ls "$tmp/out"; fail "$p: no ${deb[$p]##*/}"; }
done

# Metadata: names, runtime Depends (from dpkg-shlibdeps), adduser for the postinst.
info() { dpkg-deb -I "${deb[$1]}"; }
field() { dpkg-deb -f "${deb[$1]}" "$2"; }
for p in lontar-server lontar-agent lontar-audit; do
  [[ $(field $p Package) == "$p" ]] || fail "$p: Package is $(field $p Package)"
  deps=$(field $p Depends)
  for lib in libc6 libstdc++6; do [[ $deps == *"$lib"* ]] || fail "$p: Depends lacks $lib: $deps"; done
done
for lib in libssl3 libsqlite3-0 libfmt9 libspdlog1.10 adduser; do
  [[ $(field lontar-server Depends) == *"$lib"* ]] || fail "lontar-server: Depends lacks $lib: $(field lontar-server Depends)"
done
server_info=$(info lontar-server)
[[ $server_info == *conffiles* ]] || fail "lontar-server: no conffiles"
[[ $server_info == *postinst* ]] || fail "lontar-server: no postinst"
[[ $(dpkg-deb --ctrl-tarfile "${deb[lontar-server]}" | tar -xO ./conffiles) == /etc/lontar/server.toml ]] ||
  fail "lontar-server: /etc/lontar/server.toml is not its conffile"
[[ $(dpkg-deb --ctrl-tarfile "${deb[lontar-agent]}" | tar -xO ./conffiles) == /etc/default/lontar-agent ]] ||
  fail "lontar-agent: /etc/default/lontar-agent is not its conffile"

# Contents.
contents() { dpkg-deb -c "${deb[$1]}" | awk '{print $1, $6}'; }
expect() { local list; list=$(contents "$1"); grep -qE "$2" <<<"$list" || { echo "$list"; fail "$1: no entry matching '$2'"; }; }
expect lontar-server '^-rwxr-xr-x \./usr/bin/lontar-server$'
expect lontar-server '^-rw-r--r-- \./lib/systemd/system/lontar-server\.service$'
expect lontar-server '^-rw-r----- \./etc/lontar/server\.toml$'
expect lontar-agent '^-rwxr-xr-x \./usr/bin/lontar-agent$'
expect lontar-agent '^-rw-r--r-- \./lib/systemd/system/lontar-agent\.service$'
expect lontar-agent '^-rw-r--r-- \./etc/default/lontar-agent$'
expect lontar-audit '^-rwxr-xr-x \./usr/bin/lontar-audit$'
[[ $(contents lontar-audit) != *systemd* ]] || fail "lontar-audit ships a unit"
echo "ok: 3 packages built; Depends: $(field lontar-server Depends)"

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: installing needs root (dpkg -i); the packages were built and checked"
  exit 77
fi
for p in lontar-server lontar-agent lontar-audit; do
  if [[ $(dpkg-query -W -f='${Status}' $p 2>/dev/null || true) == *" installed" ]]; then
    echo "SKIP: $p is already installed on this machine; not touching it"
    exit 77
  fi
done
getent passwd lontar >/dev/null || created_user=1
[[ -e /var/lib/lontar ]] || created_state=1

installed=(lontar-server lontar-agent lontar-audit)
dpkg -i "${deb[lontar-server]}" "${deb[lontar-agent]}" "${deb[lontar-audit]}" >"$tmp/dpkg.log" 2>&1 ||
  { cat "$tmp/dpkg.log"; fail "dpkg -i failed"; }
[[ $(/usr/bin/lontar-server --version) == "lontar-server $version" ]] || fail "installed lontar-server --version"
[[ $(/usr/bin/lontar-agent --version) == "lontar-agent $version" ]] || fail "installed lontar-agent --version"
[[ $(/usr/bin/lontar-audit --version) == "lontar-audit $version" ]] || fail "installed lontar-audit --version"
[[ $(getent passwd lontar | cut -d: -f6) == /var/lib/lontar ]] || fail "no system user lontar with home /var/lib/lontar"
[[ $(stat -c '%U:%G %a' /var/lib/lontar) == "lontar:lontar 750" ]] || fail "/var/lib/lontar: $(stat -c '%U:%G %a' /var/lib/lontar)"
[[ $(stat -c '%U:%G %a' /etc/lontar/server.toml) == "root:lontar 640" ]] || fail "server.toml: $(stat -c '%U:%G %a' /etc/lontar/server.toml)"
if command -v systemd-analyze >/dev/null && systemd-analyze --version >/dev/null 2>&1; then
  systemd-analyze verify /lib/systemd/system/lontar-server.service /lib/systemd/system/lontar-agent.service ||
    fail "the installed units do not verify"
fi
# The packaged config is read by the installed server: it gets past the config to the missing ledger.
out=$(/usr/bin/lontar-server run --config /etc/lontar/server.toml 2>&1) && fail "run without a ledger succeeded"
[[ $out == *"log.key"* ]] || fail "run with the packaged config: $out"
rm -f /var/lib/lontar/server.lock
dpkg --remove lontar-server lontar-agent lontar-audit >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg --remove"; }
[[ ! -e /usr/bin/lontar-server ]] || fail "/usr/bin/lontar-server left after remove"
[[ -e /etc/lontar/server.toml ]] || fail "remove (not purge) must keep the conffile"
dpkg --purge lontar-server lontar-agent lontar-audit >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg --purge"; }
installed=()
[[ -d /var/lib/lontar ]] || fail "purge deleted /var/lib/lontar (the ledger must survive)"
echo "ok: installed, ran --version, checked user, state and config, removed and purged"
