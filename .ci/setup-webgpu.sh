#!/usr/bin/env bash
# Software WebGPU adapter for CI: Dawn (npm `webgpu`) on its OpenGL ES backend over Mesa's llvmpipe, through EGL
# with no display ("surfaceless"). Stock Debian 12 packages only: no backports, nothing upgraded. (Dawn rejects
# Debian 12's own lavapipe, Mesa 22.3; Mesa 25 lavapipe from bookworm-backports also works but would upgrade the
# whole Mesa stack.)
#
# Run as root on Debian 12 (idempotent, quiet). Writes .ci/webgpu.env, which the caller sources:
#   bash .ci/setup-webgpu.sh && set -a && . .ci/webgpu.env && set +a
# When packages/mnist-train's dependencies are installed already, it also checks that Dawn finds the adapter.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { printf 'setup-webgpu: %s\n' "$*" >&2; exit 1; }

# libegl-dev only for the unversioned libEGL.so symlink, which is the name Dawn dlopens.
packages=(libegl1 libegl-dev libegl-mesa0 libgles2 libgl1-mesa-dri)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  [[ $(id -u) == 0 ]] || fail "needs root to install: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    fail "apt-get could not install: ${missing[*]}"
  fi
  rm -f "$log"
fi

shopt -s nullglob
egl=(/usr/lib/*/libEGL.so /usr/lib/libEGL.so)
swrast=(/usr/lib/*/dri/swrast_dri.so /usr/lib/*/dri/kms_swrast_dri.so)
((${#egl[@]} > 0)) || fail 'libEGL.so not found after installing libegl-dev'
((${#swrast[@]} > 0)) || fail "Mesa's software rasteriser (dri/swrast_dri.so) not found after installing libgl1-mesa-dri"

env_file=.ci/webgpu.env
tmp=$(mktemp "$env_file.XXXXXX")
cat >"$tmp" <<'EOF'
# Written by .ci/setup-webgpu.sh: software WebGPU adapter (Dawn OpenGL ES backend over Mesa llvmpipe, no display).
EGL_PLATFORM=surfaceless
MNIST_WEBGPU_BACKEND=opengles
EOF
chmod 644 "$tmp"
mv -f "$tmp" "$env_file"

dawn=packages/mnist-backends/node_modules/webgpu/index.js
if [[ -f $dawn ]] && command -v node >/dev/null 2>&1; then
  if ! out=$(
    EGL_PLATFORM=surfaceless timeout 60 node --input-type=module -e "
      const { create } = await import(process.argv[1]);
      const adapter = await create(['backend=opengles']).requestAdapter({ featureLevel: 'compatibility' });
      if (!adapter) { console.log('no adapter'); process.exit(3); }
      console.log('@@', adapter.info.description, '/', adapter.info.device);
      process.exit(0);
    " "$(realpath "$dawn")" 2>&1
  ); then
    fail "Dawn found no OpenGL ES adapter: ${out//$'\n'/ }"
  fi
  printf 'setup-webgpu: software adapter ok: %s\n' "$(grep '^@@' <<<"$out" | cut -c4-)"
fi
