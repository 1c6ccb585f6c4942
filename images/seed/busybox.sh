# Recipe for scripts/seed-images.sh: `meso/busybox:latest`, a ~2 MB image holding Debian's
# statically linked busybox (/bin/busybox and a symlink per applet: sh, dd, head, httpd, nc, ...).
# Used by the Docker containerizer's tests and benchmarks. It is our own name, so it is never pulled.

seed_busybox() {
  apt_download busybox-static
  mkdir rootfs
  dpkg-deb -x busybox-static_*.deb rootfs
  local busybox=rootfs/bin/busybox
  [ -x "${busybox}" ] || { log "busybox-static did not provide /bin/busybox"; return 1; }

  # One symlink per applet at the path busybox itself reports (bin/sh, usr/sbin/httpd, ...).
  local applet
  while IFS= read -r applet; do
    [ -e "rootfs/${applet}" ] && continue
    mkdir -p "rootfs/$(dirname "${applet}")"
    ln -s /bin/busybox "rootfs/${applet}"
  done < <("${busybox}" --list-full)

  rm -rf rootfs/usr/share
  mkdir -p rootfs/{etc,root,tmp,proc,sys,dev,var/www}
  chmod 1777 rootfs/tmp
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >rootfs/etc/passwd
  printf 'root:x:0:\nnogroup:x:65534:\n' >rootfs/etc/group

  printf '%s\n' 'CMD ["/bin/sh"]' 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' >"${SEED_CHANGES}"
  tar --numeric-owner --owner=0 --group=0 -C rootfs -c .
}

register_image meso/busybox:latest seed_busybox no-pull
