#!/bin/sh
# Installs headless Chromium from Debian's packages for the browser tests (test/browser/), which drive it with
# puppeteer-core; WebGPU there runs on SwiftShader (--enable-unsafe-webgpu --use-webgpu-adapter=swiftshader).
# Idempotent; exits 0 even where it cannot install (the browser tests then skip, saying why).
set -u
command -v chromium >/dev/null 2>&1 && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-chromium: no apt-get; not installing chromium (the browser tests will be skipped)" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium; } >/dev/null; then
  echo "setup-chromium: apt-get could not install chromium (the browser tests will be skipped)" >&2
fi
exit 0
