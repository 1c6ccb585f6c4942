# shellcheck shell=bash
# Recipe for scripts/seed-images.sh: `prom/prometheus:v2.42.0`, a stand-in for the official image
# when no registry answers, built from Debian's `prometheus` package (the same 2.42.0 release):
# /bin/prometheus with the C library it links, busybox for `sh` and `wget` (the official image is
# busybox-based too), the default /etc/prometheus/prometheus.yml, and the official image's user
# (nobody), volume (/prometheus), entrypoint and arguments. Without the web UI's assets; the HTTP
# API is complete. Seeding takes a few seconds; the image is about 60 MB.

seed_prometheus_v2_42() {
  apt_download prometheus libc6 busybox-static
  mkdir pkgs rootfs
  local deb
  for deb in prometheus_*.deb libc6_*.deb busybox-static_*.deb; do
    dpkg-deb -x "${deb}" pkgs
  done
  install -D -m 0755 pkgs/usr/bin/prometheus rootfs/bin/prometheus
  install -D -m 0755 pkgs/bin/busybox rootfs/bin/busybox
  local applet
  for applet in sh wget cat ls ps; do ln -s busybox "rootfs/bin/${applet}"; done
  # The dynamic loader (at the interpreter path the binary names) and the C library.
  install -D -m 0755 pkgs/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 rootfs/lib64/ld-linux-x86-64.so.2
  install -D -m 0755 pkgs/lib/x86_64-linux-gnu/libc.so.6 rootfs/lib/x86_64-linux-gnu/libc.so.6
  install -D -m 0644 pkgs/etc/prometheus/prometheus.yml rootfs/etc/prometheus/prometheus.yml
  mkdir -p rootfs/usr/share/prometheus/console_libraries rootfs/usr/share/prometheus/consoles rootfs/tmp
  chmod 1777 rootfs/tmp
  install -d -o 65534 -g 65534 rootfs/prometheus
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >rootfs/etc/passwd
  printf 'root:x:0:\nnogroup:x:65534:\n' >rootfs/etc/group

  printf '%s\n' \
    'USER nobody' \
    'WORKDIR /prometheus' \
    'VOLUME ["/prometheus"]' \
    'EXPOSE 9090' \
    'ENTRYPOINT ["/bin/prometheus"]' \
    'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.console.libraries=/usr/share/prometheus/console_libraries", "--web.console.templates=/usr/share/prometheus/consoles"]' \
    >"${SEED_CHANGES}"
  rootfs_tar
}

register_image prom/prometheus:v2.42.0 seed_prometheus_v2_42 pull
