#!/usr/bin/env bash
# Builds the node agent's container image offline and reproducibly, without a Docker engine: an OCI
# image layout (and a tar of it for `ctr images import` / `skopeo copy oci-archive:`) from this
# machine's Node.js runtime and a fresh build of runwarden.
#
#   scripts/build-agent-image.sh OUTDIR [--dist DIR] [--name REF]
#
#   OUTDIR/oci/runwarden-node-agent/   OCI image layout (index.json, oci-layout, blobs/sha256/*)
#   OUTDIR/runwarden-node-agent.tar    the layout as one tar; its index names the image REF
#   (the last line printed is the image's manifest digest)
#
# Layers (each a tar with sorted names, mtime 0, uid/gid 0, gzip -n: same inputs → same digests):
#   1. runtime: the `node` binary and exactly the shared libraries it links (ldd; glibc, libstdc++),
#      /etc/passwd and /etc/group with root and nonroot (65532), /tmp — a distroless-style base.
#   2. app: /opt/runwarden with package.json, the compiled dist/src, the CRI .proto files and the
#      history's compression dictionaries (read at run time) and the production dependencies exactly
#      as installed here (`npm ls --omit=dev`).
# Entrypoint `node /opt/runwarden/dist/src/cli/main.js`, user 65532 (the DaemonSet runs it as uid 0
# with every capability dropped, for the runtime's root-owned socket: deploy/node-agent/readme.md).
#
# --dist DIR uses an existing `tsc -p tsconfig.build.json` output instead of compiling (the default
# compiles into a temporary directory and stops on type errors). --name defaults to
# registry.example.com/runwarden-node-agent:<package version>. SOURCE_DATE_EPOCH (default 0) sets
# the image's creation time. Needs: node + npm (the runtime copied is `command -v node`), ldd, GNU
# tar, gzip, sha256sum, jq. Pushing the result is up to you (skopeo copy oci:OUTDIR/oci/… docker://…).
set -euo pipefail

usage() { echo "usage: build-agent-image.sh OUTDIR [--dist DIR] [--name REF]" >&2; exit 2; }
[ $# -ge 1 ] || usage
OUT="$1"; shift
DIST=""
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VERSION="$(jq -r .version "$ROOT/package.json")"
NAME="registry.example.com/runwarden-node-agent:$VERSION"
while [ $# -gt 0 ]; do
  case "$1" in
    --dist) DIST="${2:?--dist needs a directory}"; shift 2 ;;
    --name) NAME="${2:?--name needs an image reference}"; shift 2 ;;
    *) usage ;;
  esac
done
for tool in node npm ldd tar gzip sha256sum jq; do
  command -v "$tool" >/dev/null || { echo "build-agent-image: $tool not found" >&2; exit 2; }
done
EPOCH="${SOURCE_DATE_EPOCH:-0}"
CREATED="$(date -u -d "@$EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
case "$(uname -m)" in x86_64) ARCH=amd64 ;; aarch64) ARCH=arm64 ;; *) ARCH="$(uname -m)" ;; esac

mkdir -p "$OUT"; OUT="$(cd "$OUT" && pwd)"
W="$(mktemp -d "${TMPDIR:-/tmp}/rw-agent-image.XXXXXX")"
trap 'rm -rf "$W"' EXIT
TAROPTS=(--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix
         --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime)

# --- the compiled code ---------------------------------------------------------------------------
if [ -z "$DIST" ]; then
  echo "build-agent-image: compiling (tsc -p tsconfig.build.json)" >&2
  (cd "$ROOT" && npx tsc -p tsconfig.build.json --outDir "$W/dist" --sourceMap false --declaration false) \
    || { echo "build-agent-image: tsc failed; fix the type errors, or pass --dist with an existing build" >&2; exit 1; }
  DIST="$W/dist"
fi
[ -f "$DIST/src/cli/main.js" ] || { echo "build-agent-image: $DIST/src/cli/main.js not found (--dist must be tsc's outDir)" >&2; exit 2; }

# --- layer 1: the runtime ------------------------------------------------------------------------
R="$W/runtime"; mkdir -p "$R/usr/bin" "$R/etc" "$R/tmp"
chmod 1777 "$R/tmp"
NODE="$(readlink -f "$(command -v node)")"
cp "$NODE" "$R/usr/bin/node"
# Every library the binary links, at the path the loader looks for it, plus the loader itself.
ldd "$NODE" | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]+ \(/ { print $1 }' | sort -u | while read -r lib; do
  mkdir -p "$R$(dirname "$lib")"
  cp -L "$lib" "$R$lib"
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$R/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$R/etc/group"
mkdir -p "$R/home/nonroot" "$R/root"

# --- layer 2: runwarden ----------------------------------------------------------------------------
A="$W/app/opt/runwarden"; mkdir -p "$A/dist" "$A/src/inventory/sources/cri" "$A/src/serve/history" "$A/node_modules"
cp "$ROOT/package.json" "$A/package.json"
cp -r "$DIST/src" "$A/dist/src"
find "$A/dist" \( -name '*.map' -o -name '*.d.ts' \) -delete
cp "$ROOT"/src/inventory/sources/cri/*.proto "$A/src/inventory/sources/cri/"
cp "$ROOT"/src/serve/history/detail-dictionary-*.txt "$A/src/serve/history/"
# Production dependencies as installed from the lockfile (nested ones come with their parent).
(cd "$ROOT" && npm ls --omit=dev --parseable --all 2>/dev/null) | tail -n +2 | sed "s|^$ROOT/||" | sort -u | while read -r dep; do
  case "$dep" in node_modules/*/node_modules/*) continue ;; esac
  mkdir -p "$A/$(dirname "$dep")"
  [ -e "$A/$dep" ] || cp -r "$ROOT/$dep" "$A/$dep"
done

# --- blobs, config, manifest, index ----------------------------------------------------------------
L="$OUT/oci/runwarden-node-agent"; rm -rf "$L"; mkdir -p "$L/blobs/sha256"
layer() { # $1 = root dir, $2 = name → prints "digest size diffid"
  tar "${TAROPTS[@]}" -C "$1" -cf "$W/$2.tar" .
  gzip -n -6 -c "$W/$2.tar" >"$W/$2.tar.gz"
  local diff dig
  diff="sha256:$(sha256sum "$W/$2.tar" | cut -d' ' -f1)"; dig="sha256:$(sha256sum "$W/$2.tar.gz" | cut -d' ' -f1)"
  mv "$W/$2.tar.gz" "$L/blobs/sha256/${dig#sha256:}"; rm "$W/$2.tar"
  echo "$dig $(stat -c %s "$L/blobs/sha256/${dig#sha256:}") $diff"
}
read -r D1 S1 F1 < <(layer "$R" runtime)
read -r D2 S2 F2 < <(layer "$W/app" app)
NODE_VERSION="$(node --version)"
jq -cS -n --arg created "$CREATED" --arg arch "$ARCH" --arg f1 "$F1" --arg f2 "$F2" --arg v "$VERSION" --arg nv "$NODE_VERSION" '{
  architecture: $arch, os: "linux", created: $created,
  config: {
    User: "65532:65532", WorkingDir: "/opt/runwarden",
    Env: ["PATH=/usr/bin:/bin", "NODE_ENV=production", "NO_COLOR=1"],
    Entrypoint: ["/usr/bin/node", "/opt/runwarden/dist/src/cli/main.js"], Cmd: ["--help"],
    Labels: {"org.opencontainers.image.title": "runwarden node agent", "org.opencontainers.image.version": $v,
             "org.opencontainers.image.licenses": "Apache-2.0", "dev.runwarden.node-version": $nv}
  },
  rootfs: {type: "layers", diff_ids: [$f1, $f2]},
  history: [{created: $created, created_by: "build-agent-image.sh: node runtime and its shared libraries"},
            {created: $created, created_by: "build-agent-image.sh: runwarden dist and production dependencies"}]
}' >"$W/config.json"
CD="sha256:$(sha256sum "$W/config.json" | cut -d' ' -f1)"; CS=$(stat -c %s "$W/config.json")
cp "$W/config.json" "$L/blobs/sha256/${CD#sha256:}"
jq -cS -n --arg cd "$CD" --argjson cs "$CS" --arg d1 "$D1" --argjson s1 "$S1" --arg d2 "$D2" --argjson s2 "$S2" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
  layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $d1, size: $s1},
           {mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $d2, size: $s2}]
}' >"$W/manifest.json"
MD="sha256:$(sha256sum "$W/manifest.json" | cut -d' ' -f1)"; MS=$(stat -c %s "$W/manifest.json")
cp "$W/manifest.json" "$L/blobs/sha256/${MD#sha256:}"
echo '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"
jq -cS -n --arg md "$MD" --argjson ms "$MS" --arg arch "$ARCH" --arg name "$NAME" --arg tag "${NAME##*:}" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $md, size: $ms,
    platform: {architecture: $arch, os: "linux"},
    annotations: {"org.opencontainers.image.ref.name": $tag, "io.containerd.image.name": $name}}]
}' >"$L/index.json"
tar "${TAROPTS[@]}" -C "$L" -cf "$OUT/runwarden-node-agent.tar" oci-layout index.json blobs
echo "build-agent-image: $NAME config=$CD layers=$(( (S1 + S2) / 1048576 )) MiB (gzip) -> $L" >&2
echo "$MD"
