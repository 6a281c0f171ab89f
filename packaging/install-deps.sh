#!/usr/bin/env bash
# install-deps.sh — install Lontar's build and test dependencies from Debian 12 packages.
# Idempotent: installs only what is missing, and says what it installs.
# Run as root (or with sudo available). Usage: packaging/install-deps.sh [--fuzz]
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config git      # toolchain and build
  libboost1.74-dev                           # Boost.Asio + Boost.Beast (header-only): HTTPS
  libssl-dev openssl                         # OpenSSL 3 EVP: SHA-256, Ed25519, TLS 1.3
  libsqlite3-dev sqlite3                     # SQLite 3: every store
  libcereal-dev                              # cereal portable-binary encodings
  libcli11-dev                               # CLI11: command lines and --help
  libtomlplusplus-dev                        # toml++: server config
  libfmt-dev libspdlog-dev                   # fmt / spdlog: messages and structured logs
  doctest-dev                                # doctest: unit and end-to-end tests
  librapidcheck-dev                          # rapidcheck: property tests
  procps                                     # ps/pkill used by crash tests
  dpkg-dev                                   # dpkg-shlibdeps: the .deb packages' runtime Depends (cpack)
  systemd                                    # systemd-analyze verify on the units (tests/packaging)
  adduser                                    # the packages' postinst creates the lontar user (install test)
  nlohmann-json3-dev                         # nlohmann/json: every JSON body (protocol, web page API)
  libqrencode-dev                            # libqrencode: QR codes on printable receipts
  clang-format                               # .ci/run checks the tree's formatting
  chromium chromium-driver python3-selenium  # real-browser tests of the office page (headless)
  poppler-utils                              # pdftotext: the browser test reads the printed receipt
  libpq-dev                                  # libpq: the central log on PostgreSQL (server/log/pg_storage.hpp)
  postgresql                                 # the PostgreSQL log store's tests start their own cluster
  locales                                    # LANG=id_ID.UTF-8 for the Indonesian CLI tests
)
if [[ "${1:-}" == "--fuzz" ]]; then
  packages+=(clang libclang-rt-14-dev)       # libFuzzer targets (optional)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} build dependencies are already installed."
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done."
