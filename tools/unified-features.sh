#!/usr/bin/env bash
# Which shared dependencies the `wgpu` build compiles with other features than the default build
# (`cargo test --workspace`): each one listed, and every crate above it, is compiled twice in CI.
# crates/workspace-hack gives the default build those features; this prints every package whose
# feature sets differ between the two builds, or "none". Packages of the GPU stack and the workspace's own are left out (they differ on purpose).
# `cargo tree` does not say whether a unit is built for the host (proc macros, build scripts) or
# the target, so a package the wgpu build also compiles once more on its own (an extra unit only
# it has, e.g. `indexmap` with no features) is listed too: the features only the default build
# has must be empty for it to share.
# Usage: tools/unified-features.sh        (reads `cargo tree`; builds nothing; a few seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
edges=(-e normal,build,dev -f '{p} [{f}]' --prefix none)
clean() { sed 's/ (\*)$//; s/ (proc-macro)//; s/ (\/[^)]*)//' | sort -u; }
cargo tree --workspace "${edges[@]}" | clean >"$tmp/default"
cargo tree -p backprop-lab -p bplab-burn -p bplab-harness \
  --features backprop-lab/wgpu,bplab-burn/wgpu,bplab-harness/wgpu "${edges[@]}" | clean >"$tmp/wgpu"
python3 - "$tmp/default" "$tmp/wgpu" <<'PY'
import collections, re, sys

def load(path):
    units = collections.defaultdict(set)
    for line in open(path):
        m = re.match(r"(\S+) (v\S+) \[(.*)\]$", line.strip())
        if m:
            units[(m[1], m[2])].add(m[3])
    return units

default, wgpu = load(sys.argv[1]), load(sys.argv[2])
own = re.compile(r"^(burn|cubecl|cubek|bplab|backprop-lab|workspace-hack)")
found = 0
for key in sorted(set(default) & set(wgpu)):
    if own.match(key[0]) or default[key] == wgpu[key]:
        continue
    found += 1
    only_default = sorted(default[key] - wgpu[key]) or "-"
    only_wgpu = sorted(wgpu[key] - default[key])
    print(f"{key[0]} {key[1]}: default only {only_default}, wgpu only {only_wgpu}")
print("none" if found == 0 else f"{found} package(s) differ")
PY
