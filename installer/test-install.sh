#!/usr/bin/env bash
# Install test of the Debian packages, as a user of them would meet them:
#   1. builds the .deb packages from a clean build directory (Release, prefix /usr),
#   2. installs them with apt, checks their metadata and that ldconfig knows the library,
#   3. builds tests/install/consumer with find_package(QPgPool) and no hints, and runs it
#      (SELECT 1 through a pool) against a private PostgreSQL server,
#   4. runs a QML test that imports QPgPool from Qt's default import path against the same server,
#   5. validates the installed desktop file, checks the monitor's libraries resolve and runs it
#      headless for two seconds,
#   6. removes the packages and checks nothing of ours is left under /usr.
# The server, the packages and the scratch directory are removed on every exit, failure included.
# Needs root or sudo (apt). Usage: installer/test-install.sh [build directory, default build-install]
set -uo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
build_dir=$(realpath -m "${1:-build-install}")

# The runtime package is libqpgpool<SOVERSION>, found once the packages are built.
package_patterns=('libqpgpool*' qml6-module-qpgpool qpgpool-monitor)
SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
export DEBIAN_FRONTEND=noninteractive

current_step="start"
step_started=$SECONDS
installed=0
work_dir=""
cluster_state=""

step() {
    echo "test-install: $current_step: done in $((SECONDS - step_started)) s"
    current_step=$1
    step_started=$SECONDS
    echo
    echo "=== test-install: $current_step"
}

die() {
    echo "test-install: FAILED at step '$current_step': $*" >&2
    exit 1
}

# Our packages that dpkg knows as installed (or half-installed, or left configured).
installed_packages() {
    dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${package_patterns[@]}" 2>/dev/null \
        | awk '$2 != "not-installed" { print $1 }'
}

remove_packages() {
    local present
    mapfile -t present < <(installed_packages)
    [ ${#present[@]} -eq 0 ] || "${SUDO[@]}" apt-get remove --purge -y -qq "${present[@]}"
}

cleanup() {
    local rc=$?
    if [ -n "$cluster_state" ] && [ -f "$cluster_state" ]; then
        "$build_dir/tests/harness/qpg-cluster" stop "$cluster_state" >/dev/null || echo "test-install: could not stop the private server ($cluster_state)" >&2
    fi
    if [ "$installed" -eq 1 ]; then
        remove_packages >/dev/null || echo "test-install: could not remove $(installed_packages | xargs)" >&2
    fi
    [ -z "$work_dir" ] || rm -rf "$work_dir"
    if [ "$rc" -eq 0 ]; then
        echo "test-install: OK in $SECONDS s"
    else
        echo "test-install: FAILED (exit $rc) after $SECONDS s" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "=== test-install: dependencies"
./installer/install-deps.sh || die "installer/install-deps.sh failed"
work_dir=$(mktemp -d /tmp/qpg-test-install.XXXXXX) || die "no scratch directory"
chmod 755 "$work_dir" # the QML test file must be readable whoever runs it

# A killed earlier run may have left our packages installed: start from none.
mapfile -t leftovers < <(installed_packages)
if [ ${#leftovers[@]} -gt 0 ]; then
    echo "test-install: removing packages left by an earlier run: ${leftovers[*]}"
    remove_packages || die "could not remove ${leftovers[*]}"
fi

step "configure $build_dir (Release, prefix /usr)"
rm -rf "$build_dir"
launcher=()
if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
    export CCACHE_BASEDIR=$source_dir # paths relative to the tree, so every fresh build directory hits
fi
# Tests stay configured only for the qpg-cluster tool (tests/harness); none of them is built.
cmake -S "$source_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    -DQPG_BUILD_EXAMPLES=OFF -DQPG_BUILD_BENCH=OFF -DQPG_BUILD_TESTS=ON "${launcher[@]}" >"$build_dir.configure.log" 2>&1 \
    || { cat "$build_dir.configure.log"; die "cmake configure failed"; }
rm -f "$build_dir.configure.log"

step "build the packaged targets and qpg-cluster"
cmake --build "$build_dir" --parallel "$(nproc)" --target qpgpool qpgpool_monitoring qpgpool_metrics qpgpool_qmlplugin qpgpool-monitor qpg-cluster \
    || die "build failed"

step "cpack"
(cd "$build_dir" && cpack -G "DEB;TGZ") || die "cpack failed"
runtime=$(compgen -G "$build_dir/libqpgpool[0-9]*_*.deb" | head -n 1)
runtime=$(basename "${runtime%%_*}")
[ -n "$runtime" ] || die "no libqpgpool<SOVERSION>_*.deb in $build_dir"
soname=libqpgpool.so.${runtime#libqpgpool}
for p in "$runtime" libqpgpool-dev qml6-module-qpgpool qpgpool-monitor; do
    [ -n "$(compgen -G "$build_dir/${p}_*.deb")" ] || die "no ${p}_*.deb in $build_dir"
done
[ -n "$(compgen -G "$build_dir/qpgpool-*.tar.gz")" ] || die "no .tar.gz in $build_dir"

step "package metadata"
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH) || die "dpkg-architecture failed"
deb() { compgen -G "$build_dir/${1}_*.deb" | head -n 1; }
# has <extended regex> <text>: no "command | grep -q" under pipefail, where grep's early exit can
# fail the writer with SIGPIPE.
has() { grep -qE -- "$1" <<<"$2"; }
# expect_depends <package> <dependency (extended regex)>...: each one is among the package's Depends.
expect_depends() {
    local package=$1 value dependency
    shift
    value=$(dpkg-deb -f "$(deb "$package")" Depends)
    for dependency in "$@"; do
        has "(^|, )$dependency( |,|$)" "$value" || die "$package does not depend on $dependency: Depends: $value"
    done
    echo "  $package Depends: $value"
}
version=$(dpkg-deb -f "$(deb "$runtime")" Version)
exact="$runtime \(= ${version//./\\.}\)"
expect_depends "$runtime" libc6 'libstdc\+\+6' libqt6core6 libqt6network6 libpq5 libqt6httpserver6
expect_depends libqpgpool-dev "$exact" qt6-base-dev
expect_depends qml6-module-qpgpool "$exact" libqt6qml6
expect_depends qpgpool-monitor "$exact" libqt6widgets6 libqcustomplot2.1-qt6
has " \./usr/lib/$triplet/${soname//./\\.} " "$(dpkg-deb -c "$(deb $runtime)")" \
    || die "$runtime does not hold /usr/lib/$triplet/$soname"
has "^libqpgpool ${runtime#libqpgpool} $runtime " "$(dpkg-deb -I "$(deb $runtime)" shlibs)" || die "$runtime has no shlibs file"
has "ldconfig" "$(dpkg-deb -I "$(deb $runtime)" postinst)" || die "$runtime's postinst does not run ldconfig"

step "apt-get install"
installed=1
"${SUDO[@]}" apt-get install -y -qq "$build_dir"/*.deb || die "apt-get install failed"
# (/usr)?: with merged /usr the cache names the library by its /lib path.
has "${soname//./\\.} .*=> (/usr)?/lib/$triplet/${soname//./\\.}$" "$(ldconfig -p)" \
    || die "the ldconfig cache does not list /usr/lib/$triplet/$soname"

step "private PostgreSQL server"
cluster_state=$work_dir/cluster.state
"$build_dir/tests/harness/qpg-cluster" start "$cluster_state" || die "qpg-cluster start failed"
dsn=$(sed -n 's/^DSN=//p' "$cluster_state")
[ -n "$dsn" ] || die "no DSN in $cluster_state"

step "consumer: find_package(QPgPool) without hints"
# Nothing may point CMake or the loader at the build tree.
consumer_env=(env -u CMAKE_PREFIX_PATH -u QPgPool_DIR -u LD_LIBRARY_PATH)
"${consumer_env[@]}" cmake -S tests/install/consumer -B "$work_dir/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    >"$work_dir/consumer.log" 2>&1 || { cat "$work_dir/consumer.log"; die "configuring the consumer failed"; }
grep -q "^QPgPool_DIR:PATH=/usr/lib/$triplet/cmake/QPgPool$" "$work_dir/consumer/CMakeCache.txt" \
    || die "the consumer found QPgPool elsewhere: $(grep '^QPgPool_DIR' "$work_dir/consumer/CMakeCache.txt")"
"${consumer_env[@]}" cmake --build "$work_dir/consumer" || die "building the consumer failed"
has "${soname//./\\.} => (/usr)?/lib/$triplet/${soname//./\\.} " "$(ldd "$work_dir/consumer/qpgpool-consumer")" \
    || die "the consumer does not load /usr/lib/$triplet/$soname"
"${consumer_env[@]}" "$work_dir/consumer/qpgpool-consumer" "$dsn" || die "the consumer failed against $dsn"

step "QML module from Qt's default import path"
qml_dir=$(qtpaths6 --query QT_INSTALL_QML) || die "qtpaths6 failed"
[ -f "$qml_dir/QPgPool/qmldir" ] || die "no $qml_dir/QPgPool/qmldir"
mkdir -p "$work_dir/qml"
qml_dsn=${dsn//\\/\\\\}
qml_dsn=${qml_dsn//\"/\\\"}
qml_test=$(<tests/install/qml/tst_installedmodule.qml)
printf '%s\n' "${qml_test//@QPG_DSN@/$qml_dsn}" >"$work_dir/qml/tst_installedmodule.qml"
env -u QML_IMPORT_PATH -u QML2_IMPORT_PATH -u LD_LIBRARY_PATH QT_QPA_PLATFORM=offscreen \
    /usr/lib/qt6/bin/qmltestrunner -input "$work_dir/qml" || die "the QML test failed"

step "monitor: desktop file, libraries, a headless run"
desktop-file-validate /usr/share/applications/qpgpool-monitor.desktop || die "desktop-file-validate failed"
[ -f /usr/share/icons/hicolor/scalable/apps/qpgpool-monitor.svg ] || die "the monitor's icon is missing"
for binary in /usr/bin/qpgpool-monitor "$qml_dir/QPgPool/libqpgpool_qmlplugin.so"; do
    missing=$(grep "not found" <<<"$(ldd "$binary")")
    [ -z "$missing" ] || die "$binary: unresolved libraries: $missing"
done
env -u LD_LIBRARY_PATH /usr/bin/qpgpool-monitor "$dsn" --headless --quit-after 2 >"$work_dir/monitor.log" 2>&1 \
    || { cat "$work_dir/monitor.log"; die "qpgpool-monitor --headless failed"; }
has "^# pool open " "$(<"$work_dir/monitor.log")" \
    || { cat "$work_dir/monitor.log"; die "qpgpool-monitor --headless never reported its pool open"; }

step "apt-get remove"
"$build_dir/tests/harness/qpg-cluster" stop "$cluster_state" || die "qpg-cluster stop failed"
cluster_state=""
remove_packages || die "apt-get remove failed"
installed=0
[ -z "$(installed_packages)" ] || die "still installed: $(installed_packages | xargs)"
left=$(find /usr \( -iname '*qpgpool*' -o -name 'QPg' \) -print 2>/dev/null)
[ -z "$left" ] || die "left under /usr after removal: $left"
! has "libqpgpool\.so" "$(ldconfig -p)" || die "the ldconfig cache still lists libqpgpool"

step "finish"
