#!/usr/bin/env bash
# Build the MicroPython 1.27 unix port the tests run, once, into tools/micropython-unix/ (gitignored):
#   micropython          the plain interpreter (asyncio from lib/, no TLS: the build has MICROPY_PY_SSL=0)
#   micropython-frozen   the same with controller/, drivers/, boards/ (and drivers/sim/) frozen in, as a board
#                        build has them (manifest: tools/firmware/manifest_unix.py)
#   micropython-frozen32 the frozen build compiled 32-bit (MICROPY_FORCE_32BIT): 4-byte pointers and 16-byte GC
#                        blocks, the object sizes of an ESP32, for heap figures that match a board. Built only where
#                        gcc can link 32-bit code (Debian: apt-get install gcc-multilib); otherwise the reason is
#                        left in .frozen32-missing and the tests that need it are skipped
#   mpy-cross            the matching bytecode compiler
#   lib/asyncio/         MicroPython's asyncio package, for the plain interpreter (MICROPYPATH)
# The plain build is kept while the source tarball is unchanged; the frozen one is rebuilt (about 20 s) when
# any frozen file changes. Source: ../shared/micropython/ beside the checkout, or $MICROPYTHON_SOURCE.
#   tools/micropython_unix.sh            build what is missing or stale, print the folder
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/tools/micropython-unix"
source_dir=${MICROPYTHON_SOURCE:-$root/../shared/micropython}
if [ ! -f "$source_dir/build-unix.sh" ]; then
  # a worktree's ../shared may be a level up from the main checkout
  for guess in "$root/../../shared/micropython" "/work/shared/micropython"; do
    if [ -f "$guess/build-unix.sh" ]; then source_dir=$guess; break; fi
  done
fi
if [ ! -f "$source_dir/build-unix.sh" ]; then
  echo "micropython_unix: no MicroPython source: set MICROPYTHON_SOURCE to the folder holding" \
       "build-unix.sh and micropython-1.27.0.tar.gz" >&2
  exit 2
fi
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9                                   # pytest workers and make may ask at the same time
tar_sum=$(sha256sum "$source_dir/micropython-1.27.0.tar.gz" | cut -c1-16)
if [ ! -x "$out/micropython" ] || [ "$(cat "$out/.plain-stamp" 2>/dev/null)" != "$tar_sum" ]; then
  echo "micropython_unix: building the unix port (about two minutes)..." >&2
  bash "$source_dir/build-unix.sh" "$out" >&2
  echo "$tar_sum" >"$out/.plain-stamp"
fi
if [ ! -f "$out/lib/asyncio/__init__.py" ]; then
  mkdir -p "$out/lib/asyncio"
  cp "$out/src/extmod/asyncio/"*.py "$out/lib/asyncio/"
  rm -f "$out/lib/asyncio/manifest.py"
fi
manifest="$root/tools/firmware/manifest_unix.py"
frozen_sum=$(cd "$root" && { echo "$tar_sum"; cat tools/firmware/*.py tools/mpy_footprint.py;
  find controller drivers boards -name '*.py' | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-16)
if [ ! -x "$out/micropython-frozen" ] || [ "$(cat "$out/.frozen-stamp" 2>/dev/null)" != "$frozen_sum" ]; then
  echo "micropython_unix: building the frozen interpreter..." >&2
  make -s -C "$out/src/ports/unix" -j"$(nproc 2>/dev/null || echo 2)" MICROPY_PY_FFI=0 MICROPY_PY_BTREE=0 \
    MICROPY_PY_SSL=0 MICROPY_SSL_MBEDTLS=0 MPY_LIB_DIR="$out/emptylib" BUILD=build-frozen \
    PROG=micropython-frozen FROZEN_MANIFEST="$manifest" >&2
  cp "$out/src/ports/unix/build-frozen/micropython-frozen" "$out/micropython-frozen"
  echo "$frozen_sum" >"$out/.frozen-stamp"
fi
probe=$(mktemp -d)
if echo 'int main(void){return 0;}' >"$probe/t.c" && gcc -m32 "$probe/t.c" -o "$probe/t" 2>/dev/null; then
  rm -f "$out/.frozen32-missing"
  if [ ! -x "$out/micropython-frozen32" ] || [ "$(cat "$out/.frozen32-stamp" 2>/dev/null)" != "$frozen_sum" ]; then
    echo "micropython_unix: building the 32-bit frozen interpreter (about a minute the first time)..." >&2
    make -s -C "$out/src/ports/unix" -j"$(nproc 2>/dev/null || echo 2)" MICROPY_FORCE_32BIT=1 MICROPY_PY_FFI=0 \
      MICROPY_PY_BTREE=0 MICROPY_PY_SSL=0 MICROPY_SSL_MBEDTLS=0 MPY_LIB_DIR="$out/emptylib" BUILD=build-frozen32 \
      PROG=micropython-frozen32 FROZEN_MANIFEST="$manifest" >&2
    cp "$out/src/ports/unix/build-frozen32/micropython-frozen32" "$out/micropython-frozen32"
    echo "$frozen_sum" >"$out/.frozen32-stamp"
  fi
else
  echo "gcc cannot build 32-bit programs here (Debian/Ubuntu: apt-get install gcc-multilib)" >"$out/.frozen32-missing"
fi
rm -rf "$probe"
echo "$out"
