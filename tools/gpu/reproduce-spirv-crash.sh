#!/usr/bin/env bash
# Reproduces why burn's Vulkan (SPIR-V) device crashes Mesa's lavapipe 22.3 (docs/gpu.md, "The
# Vulkan (SPIR-V) device"), without Rust: the matmul kernel cubecl-spirv 0.11.3 compiled for
# lavapipe (matmul-implicit-smem.spvasm, from `CUBECL_DEBUG_LOG` of a `--features vulkan` build)
# is invalid SPIR-V, and lavapipe crashes creating its pipeline; the same module with its three
# shared-memory variables given their pointee types is valid, and lavapipe builds it. Then the
# f64 tanh kernel cubecl-spirv compiled for burn's `tanh` (tanh-f64.spvasm): GLSL.std.450 Tanh on
# 64-bit floats, invalid SPIR-V (lavapipe runs it and computes wrong values: tests/vulkan.rs).
#
# Exits 1 if a verdict differs from docs/gpu.md's (the two cubecl modules invalid, the fixed one
# valid, and a pipeline created from the fixed one); how the driver treats the invalid module
# (lavapipe 22.3: a segmentation fault) is printed, not checked. CI runs it.
# Needs: spirv-tools, libvulkan-dev, gcc, a Vulkan driver (mesa-vulkan-drivers).
set -uo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
entry=$(sed -n 's/^OpEntryPoint GLCompute %1 "\([^"]*\)".*/\1/p' matmul-implicit-smem.spvasm)
export NODEVICE_SELECT=1
differs=0

# The module as cubecl wrote it, and with the three Workgroup variables declared with the
# pointer-to-array types their uses (OpInBoundsAccessChain with one index) expect.
cp matmul-implicit-smem.spvasm "$out/as-emitted.spvasm"
sed -e 's/^%6 = OpVariable  %12  Workgroup/%6 = OpVariable  %11  Workgroup/' \
    -e 's/^%5 = OpVariable  %16  Workgroup/%5 = OpVariable  %15  Workgroup/' \
    -e 's/^%4 = OpVariable  %21  Workgroup/%4 = OpVariable  %20  Workgroup/' \
    matmul-implicit-smem.spvasm >"$out/fixed.spvasm"
cp tanh-f64.spvasm "$out/tanh-f64.spvasm"
gcc -O1 -o "$out/spirv-pipeline" spirv-pipeline.c -lvulkan || exit 2

# name, whether spirv-val should accept it, whether to create its pipeline
for m in "as-emitted invalid pipeline" "fixed valid pipeline" "tanh-f64 invalid -"; do
  set -- $m
  echo "== $1"
  spirv-as --preserve-numeric-ids --target-env vulkan1.3 "$out/$1.spvasm" -o "$out/$1.spv" || exit 2
  if spirv-val --target-env vulkan1.3 "$out/$1.spv"; then verdict=valid; else verdict=invalid; fi
  echo "spirv-val: $verdict"
  [ "$verdict" = "$2" ] || { echo "DIFFERS: expected $2"; differs=1; }
  if [ "$3" = pipeline ]; then
    "$out/spirv-pipeline" "$out/$1.spv" "$entry"
    status=$?
    echo "exit status: $status"
    if [ "$1" = fixed ] && [ "$status" -ne 0 ]; then echo "DIFFERS: expected 0"; differs=1; fi
  fi
done
exit $differs
