#!/usr/bin/env bash
# The install_package test (tests/install/CMakeLists.txt): cpack on an already built tree, the two .debs unpacked into
# a temporary root (dpkg-deb -x: nothing is installed on the machine), consumer/ configured and built against that
# root with find_package(DcganOnednn) and run, and the unpacked tools run. Exit 0 pass, 1 fail, 77 skip.
# Usage: test_install.sh BUILD_DIR CONSUMER_CACHE VERSION RUNTIME_PACKAGE DEV_PACKAGE CMAKE CPACK
set -euo pipefail
build=$1 consumer_cache=$2 version=$3 runtime_pkg=$4 dev_pkg=$5 cmake=$6 cpack=$7
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$build/tests/tmp/install_package   # DCGAN_TEST_TMP/<test>, as the gtest suites write
root=$work/root

fail() { echo "install_package: FAIL: $*" >&2; exit 1; }
# Runs a command with its output in $work/<log>; prints the log when it fails.
logged() {
  local log=$work/$1 rc=0; shift
  "$@" >"$log" 2>&1 || rc=$?
  [ $rc -eq 0 ] || { cat "$log" >&2; fail "$* exited $rc (log $log)"; }
}

# dpkg-shlibdeps fills the tools' Depends (CPACK_DEBIAN_*_PACKAGE_SHLIBDEPS); both are in dpkg-dev.
for tool in dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "install_package: SKIP: $tool not found (dpkg-dev: scripts/install-deps test)"; exit 77; }
done

rm -rf "$work"
mkdir -p "$work/packages" "$root"

# 1. The packages of this tree: cpack runs the build's preinstall target (Makefiles: a no-op scan of ~4 s CPU on a
#    built tree, a rebuild of what is stale otherwise), then each component's install rules into its own staging
#    directory under $work/packages.
logged cpack.log "$cpack" --config "$build/CPackConfig.cmake" -B "$work/packages"

# 2. What each holds, and unpacked into the root.
for pkg in "$runtime_pkg" "$dev_pkg"; do
  debs=("$work/packages/${pkg}_"*.deb)
  [ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one ${pkg}_*.deb, found: $(ls "$work/packages")"
  deb=${debs[0]}
  echo "== $(basename "$deb"): $(stat -c %s "$deb") bytes"
  dpkg-deb -f "$deb" Package Version Architecture Depends
  dpkg-deb -c "$deb"
  case "$(dpkg-deb -f "$deb" Version)" in "$version"|"$version"-*) ;; *) fail "$pkg: version is not $version";; esac
  dpkg-deb -x "$deb" "$root"
done

# 3. The tools' Depends come from the shared libraries they load.
depends=$(dpkg-deb -f "$work/packages/${runtime_pkg}_"*.deb Depends)
for lib in libdnnl libtbb libhdf5 libjpeg62-turbo libpng16 zlib1g libboost-program-options libstdc++6 libc6; do
  grep -q "$lib" <<<"$depends" || fail "$runtime_pkg Depends lacks $lib (dpkg-shlibdeps): '$depends'"
done

# 4. The unpacked tools run. The libraries are static; for a BUILD_SHARED_LIBS tree they would be under the root.
bindir=$(dirname "$(find "$root" -type f -path '*/bin/dcgan-onednn')")
[ -x "$bindir/dcgan-onednn" ] && [ -x "$bindir/celeba-pack" ] || fail "no bin/dcgan-onednn and bin/celeba-pack in $root"
prefix=$(dirname "$bindir")
export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
out=$("$bindir/celeba-pack" --help) || fail "celeba-pack --help exited $?"
grep -q '^Usage: celeba-pack' <<<"$out" || fail "celeba-pack --help printed no usage: $out"
out=$("$bindir/dcgan-onednn" info) || fail "dcgan-onednn info exited $?"
echo "$out"
grep -q '^onednn.version' <<<"$out" || fail "dcgan-onednn info printed no onednn.version"

# 5. A downstream project finds the package in the root, and only there (CMAKE_PREFIX_PATH), builds and runs.
logged consumer-configure.log "$cmake" -S "$here/consumer" -B "$work/consumer" -C "$consumer_cache" \
  -DCMAKE_PREFIX_PATH="$prefix"
grep -q "^DcganOnednn_DIR:PATH=$prefix/" "$work/consumer/CMakeCache.txt" ||
  fail "find_package(DcganOnednn) did not find the unpacked package: $(grep DcganOnednn_DIR "$work/consumer/CMakeCache.txt")"
logged consumer-build.log "$cmake" --build "$work/consumer" -j 2
out=$("$work/consumer/consumer") || fail "consumer exited $?: $out"
echo "$out"
for line in "package: DcganOnednn $version" \
            "nn: generator parameters 14576" \
            "pipeline: crc32(123456789) = cbf43926"; do
  grep -qxF "$line" <<<"$out" || fail "consumer did not print '$line'"
done
echo "install_package: passed in ${SECONDS} s"
