#!/usr/bin/env bash
# Builds QPgPool (in build/, configured like run-tests.sh) and runs the quickstart example, which
# starts a throwaway PostgreSQL server of its own. Works as root or as an ordinary user.
set -euo pipefail
cd "$(dirname "$0")"

./installer/install-deps.sh

if [ -f build/CMakeCache.txt ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' build/CMakeCache.txt; then
    rm -rf build/CMakeCache.txt build/CMakeFiles
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQPG_WERROR=ON
cmake --build build --parallel "$(nproc)" --target qpgpool-quickstart

exec ./build/examples/quickstart/qpgpool-quickstart
