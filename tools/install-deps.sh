#!/usr/bin/env bash
# Installs with apt-get (Debian 12) whatever the build needs and is missing; does nothing when
# all is there. Usage: tools/install-deps.sh [bench]  (bench adds oneDNN, when it can).
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config libxsimd-dev libtbb-dev libhwloc-dev
          libgtest-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev)
optional=()
# Debian's oneDNN CMake package requires the OpenCL headers, which it only recommends.
if [ "${1:-}" = bench ]; then optional=(libdnnl-dev ocl-icd-opencl-dev gnuplot-nox); fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
for p in "${packages[@]}" "${optional[@]}"; do installed "$p" || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
echo "svertka: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
required=()
for p in "${missing[@]}"; do
  if [[ " ${optional[*]} " == *" $p "* ]]; then
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$p" >/dev/null ||
      echo "svertka: could not install $p; continuing without it" >&2
  else
    required+=("$p")
  fi
done
if [ ${#required[@]} -gt 0 ]; then
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${required[@]}" >/dev/null
fi
