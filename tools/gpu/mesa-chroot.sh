#!/usr/bin/env bash
# Runs a command against a newer Mesa lavapipe than the machine's own: Debian trixie with
# trixie-backports' mesa-vulkan-drivers (26.1 when this was written), whose lavapipe has
# `workgroupMemoryExplicitLayout` — the Vulkan feature without which cubecl-spirv 0.11.3 emits
# invalid SPIR-V and lavapipe 22.3/25.0 crash (docs/gpu.md, "The Vulkan (SPIR-V) device"). With
# it, burn-vulkan runs on a machine without a GPU, so its tests check gradients instead of the
# refusal.
#
#   tools/gpu/mesa-chroot.sh ROOT [CMD ARGS...]
#
# ROOT: the chroot's folder, made by debootstrap on first use (about 2 minutes and 250 MB from
# deb.debian.org) and reused after. Without CMD it prints the chroot's Vulkan adapter. CMD runs
# inside the chroot, in this repository's folder at the same path (bind-mounted, with the target
# folder where it lies elsewhere), so test binaries built on the host run there with their own
# absolute paths; their C library is the chroot's (newer than the host's: they run unchanged).
# The mounts live in a private mount namespace (`unshare -m`) and vanish when CMD exits.
# Needs root, debootstrap (installed if missing), and `unshare` and `mount` (util-linux).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 ROOT [CMD ARGS...]" >&2; exit 2; }
root=$(realpath -m "$1")
shift
repo=$(cd "$(dirname "$0")/../.." && pwd)

if [ ! -x "$root/usr/bin/vulkaninfo" ]; then
  command -v debootstrap >/dev/null 2>&1 ||
    apt-get install -y debootstrap || { apt-get update && apt-get install -y debootstrap; }
  rm -rf "$root"
  debootstrap --variant=minbase trixie "$root" http://deb.debian.org/debian
  echo "deb http://deb.debian.org/debian trixie-backports main" \
    >"$root/etc/apt/sources.list.d/backports.list"
  chroot "$root" apt-get update
  chroot "$root" apt-get install -y -t trixie-backports mesa-vulkan-drivers libvulkan1 vulkan-tools
fi

# The folders the command reads: the repository, and the target folder if it is a link out.
binds=("$repo")
target=$(realpath -m "$repo/target")
case "$target" in "$repo"/*) ;; *) binds+=("$target") ;; esac

inner='set -e
root=$1; shift; n=$1; shift
for ((i = 0; i < n; i++)); do
  mkdir -p "$root$1"; mount --bind "$1" "$root$1"; shift
done
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
cwd=$1; shift
# Mesa device-select layer: no wayland lookups without a login session (docs/gpu.md).
exec chroot "$root" env NODEVICE_SELECT=1 HOME=/root bash -c '"'"'cd "$0" && exec "$@"'"'"' "$cwd" "$@"'
if [ $# -eq 0 ]; then
  set -- bash -c 'vulkaninfo 2>/dev/null | grep -E "deviceName|driverInfo|workgroupMemoryExplicitLayout " | sort -u'
fi
exec unshare -m bash -c "$inner" inner "$root" "${#binds[@]}" "${binds[@]}" "$PWD" "$@"
