#!/usr/bin/env bash
# The README's two commands. Each installs what is missing, configures and builds (Release)
# once, then runs; a second run with nothing changed only re-checks.
#   tools/run.sh test  [ctest args]   the whole test suite
#   tools/run.sh bench [bench args]   the benchmark suite over bench/layers.csv
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SVERTKA_BUILD_DIR:-$root/build/release}"
mode="${1:-}"
case "$mode" in
  test | bench) shift ;;
  *)
    echo "usage: tools/run.sh test|bench [args]" >&2
    exit 2
    ;;
esac

"$root/tools/install-deps.sh" "$mode"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build" --parallel "$(nproc)"

if [ "$mode" = test ]; then
  ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" "$@"
else
  "$build/bench/svertka-bench" "$@"
fi
