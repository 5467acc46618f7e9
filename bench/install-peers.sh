#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the benchmark-only peers (pgxpool in Go, HikariCP with pgjdbc in Java, Qt's QPSQL driver
# for qpgpool-model-fill's QSqlQueryModel) from Debian
# bookworm packages, through installer/install-deps.sh (which also makes sure the build's own
# dependencies are there). Not in its default list: CI neither builds nor runs them.
# Idempotent: when every package is already installed it does nothing (no apt-get update).
set -euo pipefail
cd "$(dirname "$0")/.."

exec installer/install-deps.sh \
    golang-go golang-github-jackc-pgx-v4-dev \
    openjdk-17-jdk-headless libhikaricp-java libpostgresql-jdbc-java libslf4j-java \
    libqt6sql6-psql
