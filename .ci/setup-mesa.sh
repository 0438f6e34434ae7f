#!/bin/sh
# Installs what gpu.js's webgpu mode needs on a Debian/Ubuntu machine without a GPU:
# Dawn (the `webgpu` npm package) over OpenGL ES over EGL, rendered by Mesa's llvmpipe.
#   libegl1          glvnd's libEGL.so.1, the EGL dispatcher
#   libegl-dev       the unversioned libEGL.so symlink: dawn.node dlopens "libEGL.so" by that name
#   libegl-mesa0     Mesa's EGL vendor library (and its glvnd vendor file)
#   libgl1-mesa-dri  swrast_dri.so, i.e. llvmpipe
# Run Node with EGL_PLATFORM=surfaceless XDG_RUNTIME_DIR=/tmp (engine/backend/gpujs sets both when unset).
# Idempotent; exits 0 even where it cannot install (the webgpu tests then skip that mode).
set -u
PACKAGES="libegl1 libegl-dev libegl-mesa0 libgl1-mesa-dri"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-mesa: no apt-get; not installing:$missing (gpu.js webgpu mode will be unavailable)" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"

export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends $missing; } >/dev/null; then
  echo "setup-mesa: apt-get could not install:$missing (gpu.js webgpu mode will be unavailable)" >&2
fi
exit 0
