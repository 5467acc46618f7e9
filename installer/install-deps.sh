#!/usr/bin/env bash
# Installs QPgPool's build, test and demo dependencies from Debian bookworm packages.
# Extra package names given as arguments are installed too (bench/install-peers.sh uses that).
# Idempotent: when every package is already installed it does nothing (no apt-get update).
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config
    dpkg-dev file desktop-file-utils
    qt6-base-dev qt6-base-dev-tools libqt6svg6 qt6-svg-dev
    qt6-httpserver-dev
    qt6-declarative-dev qt6-declarative-dev-tools
    qml6-module-qtqml qml6-module-qtqml-models qml6-module-qttest
    qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
    qml6-module-qtquick-templates qml6-module-qtquick-window qml6-module-qtqml-workerscript
    libqcustomplot-dev qcoro-qt6-dev
    libpq-dev postgresql-15 postgresql-client-15 openssl pgbouncer
    prometheus
    libgtest-dev libbenchmark-dev
    python3-asyncpg python3-psycopg-pool python3-uvloop
    clang-14 libclang-rt-14-dev
)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
