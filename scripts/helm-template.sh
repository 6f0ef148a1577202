#!/usr/bin/env bash
# Render a Helm chart like `helm template`:   scripts/helm-template.sh [NAME] CHART [flags]
#   e.g. scripts/helm-template.sh runwarden deploy/helm/runwarden -n runwarden --set postgresql.enabled=true ...
#
# With helm on PATH this is exactly `helm template "$@"`. Without it (runwarden's build machine has no
# helm: no download sites, no Go module proxy, no Debian package), it builds and runs
# scripts/helm-template/, a small Go program over the same engine Helm uses (Go text/template + the sprig
# function library, from Debian's golang-go, golang-github-masterminds-sprig-dev and
# golang-gopkg-yaml.v3-dev / golang-gopkg-yaml.v2-dev) for the subset of Helm the chart uses; see the
# comment at the top of scripts/helm-template/main.go for what that subset is.
# RUNWARDEN_HELM_TEMPLATE=builtin forces the built-in renderer even when helm is installed.
# The binary is cached under $RUNWARDEN_HELM_TEMPLATE_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/runwarden/helm-template),
# keyed by the hash of the Go sources and the Go version, so only the first run compiles (~5-10 s).
set -euo pipefail

if [[ "${RUNWARDEN_HELM_TEMPLATE:-}" != builtin ]] && command -v helm >/dev/null 2>&1; then
  exec helm template "$@"
fi

src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/helm-template"
gocode=/usr/share/gocode
if ! command -v go >/dev/null 2>&1; then
  echo "helm-template: neither helm nor go is installed; install helm, or: apt-get install golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev golang-gopkg-yaml.v2-dev" >&2
  exit 1
fi
for pkg in github.com/Masterminds/sprig github.com/Masterminds/semver gopkg.in/yaml.v3 gopkg.in/yaml.v2; do
  if [[ ! -d "$gocode/src/$pkg" ]]; then
    echo "helm-template: Go package $pkg missing under $gocode; apt-get install golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev golang-gopkg-yaml.v2-dev" >&2
    exit 1
  fi
done

cache_root="${RUNWARDEN_HELM_TEMPLATE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/runwarden/helm-template}"
key="$( (go version; cat "$src"/*.go) | sha256sum | cut -c1-16)"
bin="$cache_root/$key/helm-template"
if [[ ! -x "$bin" ]]; then
  mkdir -p "$cache_root"
  (
    flock 9
    if [[ ! -x "$bin" ]]; then
      # GOPATH mode, offline. Debian installs sprig v3 and semver v3 without their /v3 import suffix:
      # a private GOPATH of two symlinks supplies it.
      alias_path="$cache_root/gopath/src/github.com/Masterminds"
      mkdir -p "$alias_path/sprig" "$alias_path/semver"
      ln -sfn "$gocode/src/github.com/Masterminds/sprig" "$alias_path/sprig/v3"
      ln -sfn "$gocode/src/github.com/Masterminds/semver" "$alias_path/semver/v3"
      mkdir -p "$cache_root/$key"
      tmp="$cache_root/$key/helm-template.$$"
      (cd "$src" && GOPATH="$cache_root/gopath:$gocode" GO111MODULE=off GOPROXY=off GOFLAGS= \
        GOCACHE="$cache_root/go-build" CGO_ENABLED=0 go build -trimpath -o "$tmp" .)
      mv "$tmp" "$bin"
    fi
  ) 9>"$cache_root/.lock"
fi
exec "$bin" "$@"
