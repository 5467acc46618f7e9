#!/usr/bin/env bash
# Builds QPgPool (in build/, configured like run-tests.sh) and opens the qpgpool-monitor dashboard on a
# throwaway PostgreSQL server it starts itself, with sample data and a load generator running.
# Works as root or as an ordinary user; extra arguments go to qpgpool-monitor.
set -euo pipefail
cd "$(dirname "$0")"

./installer/install-deps.sh

if [ -f build/CMakeCache.txt ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' build/CMakeCache.txt; then
    rm -rf build/CMakeCache.txt build/CMakeFiles
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQPG_WERROR=ON
cmake --build build --parallel "$(nproc)" --target qpgpool-monitor

# The dashboard on a private demo database with a load generator; without a display it says so and
# prints the live statistics in the terminal instead (Ctrl+C stops it and removes the database).
exec ./build/monitor-app/qpgpool-monitor --demo "$@"
