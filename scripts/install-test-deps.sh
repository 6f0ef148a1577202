#!/usr/bin/env bash
# Installs the system packages the test suite needs (Debian 12). Idempotent; run as root.
# Keep this list equal to what tests actually start: each real component is added here by the
# change that adds its tests (see test/components.ts).
set -euo pipefail
PACKAGES=(openssl ca-certificates containerd runc docker-registry skopeo apache2-utils busybox-static zstd rpm golang-go clamav clamav-daemon clamav-testfiles postgresql chromium jq rustc binutils time golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev golang-gopkg-yaml.v2-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # the tests start their own clamd with their own signatures: no freshclam service, no downloads
  echo 'clamav-freshclam clamav-freshclam/autoupdate_freshclam select manual' | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
