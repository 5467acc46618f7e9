#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the benchmark-only peers (pgxpool in Go, HikariCP with pgjdbc in Java) from Debian
# bookworm packages. Not part of installer/install-deps.sh: CI neither builds nor runs them.
# Idempotent: when every package is already installed it does nothing (no apt-get update).
set -euo pipefail

packages=(
    golang-go golang-github-jackc-pgx-v4-dev
    openjdk-17-jdk-headless libhikaricp-java libpostgresql-jdbc-java libslf4j-java
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-peers: installing ${missing[*]}"
SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
