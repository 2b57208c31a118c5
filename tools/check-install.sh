#!/usr/bin/env bash
# Installs a build into a scratch prefix, builds tools/example against it with
# find_package(svertka) and a C program with pkg-config, and runs both.
#   tools/check-install.sh BUILD_DIR
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "$1" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
cmake -S "$root/tools/example" -B "$scratch/example" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/example" >/dev/null
LD_LIBRARY_PATH="$scratch/prefix/lib:$scratch/prefix/lib/x86_64-linux-gnu" \
  "$scratch/example/resnet_block"

cat > "$scratch/c_api.c" <<'C'
#include <stdio.h>
#include <svertka/svertka.h>
int main(void) {
  svk_conv_params p = {1, 1, 4, 4, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, SVK_NCHW};
  float src[16], w[9], dst[4];
  for (int i = 0; i < 16; ++i) src[i] = (float)(i + 1);
  for (int i = 0; i < 9; ++i) w[i] = 1.0f;
  if (svk_conv2d(&p, src, w, NULL, dst) != SVK_OK) return 1;
  printf("C API via pkg-config: %g %g %g %g\n", dst[0], dst[1], dst[2], dst[3]);
  return dst[0] == 54 && dst[3] == 99 ? 0 : 1;
}
C
export PKG_CONFIG_PATH="$scratch/prefix/lib/pkgconfig:$scratch/prefix/lib/x86_64-linux-gnu/pkgconfig"
cc -std=c99 -Wall "$scratch/c_api.c" -o "$scratch/c_api" $(pkg-config --cflags --libs svertka)
LD_LIBRARY_PATH="$scratch/prefix/lib:$scratch/prefix/lib/x86_64-linux-gnu" "$scratch/c_api"
