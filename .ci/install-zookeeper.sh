#!/usr/bin/env bash
# Installs Debian's ZooKeeper (3.8) and a Java runtime for the integration tests in
# test/integration/zk-*.test.ts. Idempotent: does nothing when the jars are already present.
# Needs root (CI runners and the build machines run as root).
set -euo pipefail

ZK_JAR=/usr/share/java/zookeeper.jar

if [[ -f "$ZK_JAR" ]] && command -v java >/dev/null 2>&1; then
  echo "zookeeper already installed: $(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo unknown)"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive

# A fresh runner has empty package lists; refresh them only when the package is unknown.
if ! apt-cache show zookeeper >/dev/null 2>&1; then
  apt-get update -qq
fi

# The package pulls in a headless JRE when none is installed. It ships a systemd unit but does
# not start a server in containers; tests start their own on a free loopback port anyway.
apt-get install -y -qq --no-install-recommends zookeeper >/dev/null

test -f "$ZK_JAR" || { echo "zookeeper installed but $ZK_JAR is missing" >&2; exit 1; }
command -v java >/dev/null 2>&1 || { echo "zookeeper installed but no java on PATH" >&2; exit 1; }
echo "zookeeper installed: $(dpkg-query -W -f='${Version}' zookeeper)"
