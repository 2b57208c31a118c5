#!/usr/bin/env bash
# The README's two commands. Each installs what is missing (apt-get), configures and builds
# once, then runs; a second run with nothing changed only re-checks and re-runs.
#   tools/run.sh test  [--fast]      the whole test suite with ctest: Release, then under
#                                    ASan+UBSan, then the concurrency tests under TSan
#                                    (--fast: Release only)
#   tools/run.sh bench [bench args]  the benchmark suite over bench/layers.csv (--help)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mode="${1:-}"
case "$mode" in
  test | bench) shift ;;
  *)
    echo "usage: tools/run.sh test [--fast] | tools/run.sh bench [args]" >&2
    exit 2
    ;;
esac
jobs="$(nproc)"

"$root/tools/install-deps.sh" "$mode"

# Configure a preset once (later builds re-run CMake by themselves when needed), build it.
build() {
  local preset="$1"
  shift
  [ -f "build/$preset/CMakeCache.txt" ] || cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" --parallel "$jobs" "$@"
}

if [ "$mode" = bench ]; then
  build release --target svertka-bench
  exec build/release/bench/svertka-bench --out=build/bench "$@"
fi

fast=0
[ "${1:-}" = --fast ] && fast=1
build release
ctest --preset release --parallel "$jobs"
[ "$fast" = 1 ] && exit 0
build asan --target svertka_tests svertka_api_tests svertka_fuzz_replay
ctest --preset asan --parallel "$jobs"
build tsan --target svertka_tests svertka_api_tests
ctest --preset tsan --parallel "$jobs"
