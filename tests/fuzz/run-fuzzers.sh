#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets of the codecs and of the quoting with clang (fuzzer, AddressSanitizer,
# UndefinedBehaviorSanitizer) into build-fuzz/ and runs each for the given number of seconds
# (default 20), starting from the seeds in tests/fuzz/corpus/<target>/.
#   tests/fuzz/run-fuzzers.sh [seconds]
# Environment: QPG_FUZZ_BUILD_DIR (default <repo>/build-fuzz), QPG_FUZZ_CXX (default clang++-14).
# Exit status: non-zero when a build fails or a target finds a crash (its input is kept in the build
# directory as crash-*, printed below).
set -uo pipefail

seconds=${1:-20}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${QPG_FUZZ_BUILD_DIR:-$root/build-fuzz}
cxx=${QPG_FUZZ_CXX:-clang++-14}
targets=(fuzz_binarydecode fuzz_textdecode fuzz_binaryencode fuzz_quoting fuzz_monitordecode)
# The codecs and what they need from the library (metatypes.cpp registers Record, hence record.cpp,
# its column decoders and logging), and the startup options (connectparams.cpp, which needs QtNetwork and libpq).
library_sources=(binarycodec.cpp textcodec.cpp columndecoder.cpp timestamp.cpp metatypes.cpp errors.cpp record.cpp logging.cpp
                 connectparams.cpp poolstats.cpp)
# The monitoring protocol's decoder and codec (libpool/monitoring/src).
monitoring_sources=(monitorprotocol.cpp monitordecoder.cpp monitorcodec.cpp sessionscodec.cpp)

command -v "$cxx" >/dev/null || { echo "run-fuzzers: $cxx not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }
qt_cflags=$(pkg-config --cflags Qt6Core Qt6Network 2>/dev/null) \
    || qt_cflags="-I/usr/include/x86_64-linux-gnu/qt6 -I/usr/include/x86_64-linux-gnu/qt6/QtCore -I/usr/include/x86_64-linux-gnu/qt6/QtNetwork"
qt_libs=$(pkg-config --libs Qt6Core Qt6Network 2>/dev/null) || qt_libs="-lQt6Core -lQt6Network"
pq_include=$(pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)

mkdir -p "$build/include/QPg" "$build/obj"
# The export header CMake generates for the library; here everything is linked statically.
cat > "$build/include/QPg/qpgpool_export.h.new" <<'HEADER'
#pragma once
#define QPGPOOL_EXPORT
#define QPGPOOL_NO_EXPORT
#define QPGPOOL_DEPRECATED __attribute__((__deprecated__))
#define QPGPOOL_DEPRECATED_EXPORT QPGPOOL_DEPRECATED
#define QPGPOOL_DEPRECATED_NO_EXPORT QPGPOOL_DEPRECATED
HEADER
cmp -s "$build/include/QPg/qpgpool_export.h.new" "$build/include/QPg/qpgpool_export.h" \
    || mv "$build/include/QPg/qpgpool_export.h.new" "$build/include/QPg/qpgpool_export.h"
rm -f "$build/include/QPg/qpgpool_export.h.new"
sed 's/QPGPOOL_/QPGPOOL_MONITORING_/g' "$build/include/QPg/qpgpool_export.h" > "$build/include/QPg/qpgpool_monitoring_export.h.new"
cmp -s "$build/include/QPg/qpgpool_monitoring_export.h.new" "$build/include/QPg/qpgpool_monitoring_export.h" \
    || mv "$build/include/QPg/qpgpool_monitoring_export.h.new" "$build/include/QPg/qpgpool_monitoring_export.h"
rm -f "$build/include/QPg/qpgpool_monitoring_export.h.new"

flags=(-std=c++20 -g -O1 -fPIC -fno-omit-frame-pointer -fno-sanitize-recover=undefined
       -Wall -Wextra -Wno-missing-field-initializers
       -DQT_NO_KEYWORDS -DQT_NO_CAST_FROM_ASCII -DQT_NO_CAST_TO_ASCII -DQT_NO_CAST_FROM_BYTEARRAY
       -DQT_USE_QSTRINGBUILDER -DQT_NO_URL_CAST_FROM_STRING -DQT_DISABLE_DEPRECATED_BEFORE=0x060400
       -I"$build/include" -I"$root/libpool/include" -I"$root/libpool/src" -I"$root/libpool/monitoring/include"
       -I"$root/libpool/monitoring/src" -I"$pq_include" $qt_cflags)

# Rebuilds an object when its source, or any header of the library or of the targets, is newer.
newest_header=$(ls -t "$root"/libpool/src/*.h "$root"/libpool/include/QPg/*.h "$root"/tests/fuzz/*.h \
                    "$root"/libpool/monitoring/src/*.h "$root"/libpool/monitoring/include/QPg/*.h \
                    "$build/include/QPg/qpgpool_export.h" | head -n 1)
compile() { # compile <source> <object> <sanitizer flag>
    local source=$1 object=$2 sanitize=$3
    if [ -f "$object" ] && [ "$object" -nt "$source" ] && [ "$object" -nt "$newest_header" ]; then
        return 0
    fi
    echo "run-fuzzers: compiling $(basename "$source")"
    "$cxx" "${flags[@]}" "$sanitize" -c "$source" -o "$object"
}

library_objects=()
for source in "${library_sources[@]}"; do
    object="$build/obj/${source%.cpp}.o"
    compile "$root/libpool/src/$source" "$object" -fsanitize=fuzzer-no-link,address,undefined || exit 1
    library_objects+=("$object")
done
for source in "${monitoring_sources[@]}"; do
    object="$build/obj/${source%.cpp}.o"
    compile "$root/libpool/monitoring/src/$source" "$object" -fsanitize=fuzzer-no-link,address,undefined || exit 1
    library_objects+=("$object")
done

status=0
for target in "${targets[@]}"; do
    compile "$root/tests/fuzz/$target.cpp" "$build/obj/$target.o" -fsanitize=fuzzer,address,undefined || exit 1
    "$cxx" -fsanitize=fuzzer,address,undefined "$build/obj/$target.o" "${library_objects[@]}" $qt_libs -lpq \
        -o "$build/$target" || exit 1
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:allocator_may_return_null=1
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for target in "${targets[@]}"; do
    # New inputs go to a working corpus in the build directory; the committed seeds stay as they are.
    corpus="$build/corpus/$target"
    mkdir -p "$corpus"
    seeds="$root/tests/fuzz/corpus/${target#fuzz_}"
    echo "run-fuzzers: $target for ${seconds}s"
    (cd "$build" && "./$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -print_final_stats=1 "$corpus" "$seeds") > "$build/$target.log" 2>&1
    result=$?
    grep -E '^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ +DONE)' "$build/$target.log" | sed "s/^/  /"
    if [ $result -ne 0 ]; then
        echo "run-fuzzers: $target FAILED (exit $result); log $build/$target.log" >&2
        grep -E -A 30 '^==[0-9]+==ERROR|runtime error|deadly signal' "$build/$target.log" | head -n 60 >&2
        ls "$build"/crash-* "$build"/leak-* "$build"/timeout-* "$build"/oom-* 2>/dev/null >&2
        status=1
    fi
done
exit $status
