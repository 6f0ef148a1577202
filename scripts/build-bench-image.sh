#!/usr/bin/env bash
# Builds the benchmark image of bench/layers offline from real Debian packages, as an OCI image
# layout: `apt-get download` the packages of each layer, `dpkg-deb -x` them into one folder per
# layer, write /var/lib/dpkg/status from the packages' control files (`dpkg-deb -f`), and tar +
# gzip every folder reproducibly (sorted names, mtime 0, uid/gid 0). 100 packages: 648 MB of
# uncompressed tar (215 MiB gzip) in 6 layers, 13,762 entries.
#
#   scripts/build-bench-image.sh [CACHE_DIR]      # prints the layout path on the last line
#
# CACHE_DIR defaults to $RUNWARDEN_BENCH_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/runwarden/bench-image.
# The build is cached there: a rerun with the same package lists returns at once. Needs apt-get
# (with package lists; run `apt-get update` once), dpkg-deb, GNU tar, gzip and sha256sum.
set -euo pipefail

CACHE="${1:-${RUNWARDEN_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/runwarden/bench-image}}"
NAME=bench-debian
REFERENCE="localhost/rw/${NAME}:1"

# One line per layer: the packages installed by that layer (dependencies resolved by hand so the
# set stays fixed; versions are whatever the Debian 12 mirror has).
LAYERS=(
  "base-files base-passwd bash dash coreutils dpkg tar gzip sed grep findutils diffutils perl-base debianutils libc6 libc-bin libssl3 zlib1g libgcc-s1 libstdc++6 libacl1 libattr1 libselinux1 libpcre2-8-0 libzstd1 liblzma5 libbz2-1.0 libcrypt1 libtinfo6 ncurses-base libmd0 libgmp10 libdebconfclient0 tzdata ca-certificates openssl"
  "python3.11-minimal libpython3.11-minimal libpython3.11-stdlib python3.11 libexpat1 libffi8 libsqlite3-0 libreadline8 readline-common media-types libncursesw6 libuuid1 libdb5.3 libnsl2 libtirpc3"
  "gcc-12 cpp-12 libgcc-12-dev libstdc++-12-dev libc6-dev linux-libc-dev libcrypt-dev libnsl-dev libtirpc-dev rpcsvc-proto binutils binutils-common binutils-x86-64-linux-gnu libbinutils libctf0 libctf-nobfd0 libgprofng0 libjansson4 libisl23 libmpc3 libmpfr6 libasan8 libtsan2 libubsan1 liblsan0 libitm1 libquadmath0 libgomp1 libatomic1 libcc1-0 gcc-12-base"
  "libllvm15 libicu72 libxml2 libedit2 libz3-4 libbsd0"
  "perl perl-modules-5.36 libperl5.36 libgdbm6 libgdbm-compat4 git git-man libcurl3-gnutls liberror-perl vim-runtime libpcre2-16-0 libpcre2-32-0"
)

MARKER="$(printf '%s\n' "v1" "${LAYERS[@]}" | sha256sum | cut -c1-16)"
LAYOUT="$CACHE/oci/$NAME"
if [[ -f "$LAYOUT/index.json" && "$(cat "$CACHE/marker" 2>/dev/null)" == "$MARKER" ]]; then
  echo "$LAYOUT"
  exit 0
fi

for tool in apt-get dpkg-deb tar gzip sha256sum; do
  command -v "$tool" >/dev/null || { echo "build-bench-image: $tool not found (Debian/Ubuntu needed)" >&2; exit 2; }
done

rm -rf "$CACHE/rootfs" "$CACHE/oci" "$CACHE/marker"
mkdir -p "$CACHE/debs" "$CACHE/rootfs" "$LAYOUT/blobs/sha256"
BLOBS="$LAYOUT/blobs/sha256"

download() {
  # apt-get download writes into the current directory; skip what is cached already.
  local want=()
  for p in "$@"; do compgen -G "$CACHE/debs/${p}_*.deb" >/dev/null || want+=("$p"); done
  if ((${#want[@]} > 0)); then
    (cd "$CACHE/debs" && apt-get download -q "${want[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || {
      echo "build-bench-image: apt-get download failed for: ${want[*]} (run apt-get update?)" >&2
      exit 3
    }
  fi
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# put FILE → moves FILE into blobs/sha256/<hex>, prints the hex
put() {
  local hex
  hex="$(sha "$1")"
  mv "$1" "$BLOBS/$hex"
  echo "$hex"
}

STATUS="$CACHE/status"
: >"$STATUS"
layer_descs=()
diff_ids=()
history=()
add_layer() {
  local dir="$1" tmp hex diff size
  tmp="$CACHE/layer.tar.gz"
  # Reproducible tar: sorted, fixed mtime/owner, no atime/ctime in pax headers. The diff ID is the
  # digest of the uncompressed tar.
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$dir" -cf "$CACHE/layer.tar" .
  diff="$(sha "$CACHE/layer.tar")"
  gzip -n -6 -c "$CACHE/layer.tar" >"$tmp"
  rm -f "$CACHE/layer.tar"
  size="$(stat -c %s "$tmp")"
  hex="$(put "$tmp")"
  layer_descs+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$hex\",\"size\":$size}")
  diff_ids+=("\"sha256:$diff\"")
  history+=("{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"scripts/build-bench-image.sh $(basename "$dir")\"}")
}

i=0
for packages in "${LAYERS[@]}"; do
  i=$((i + 1))
  read -r -a pkgs <<<"$packages"
  download "${pkgs[@]}"
  dir="$CACHE/rootfs/layer$i"
  mkdir -p "$dir"
  for p in "${pkgs[@]}"; do
    deb="$(compgen -G "$CACHE/debs/${p}_*.deb" | head -n1)"
    dpkg-deb -x "$deb" "$dir"
    # The status stanza: the control file with "Status" after "Package", as dpkg writes it.
    dpkg-deb -f "$deb" | awk 'NR==1{print; print "Status: install ok installed"; next} {print}' >>"$STATUS"
    echo >>"$STATUS"
  done
  echo "layer $i: $(du -sm "$dir" | cut -f1) MB, $(find "$dir" | wc -l) entries" >&2
  add_layer "$dir"
done

# Last layer: the dpkg database and an os-release, as a package manager's final layer would add.
dir="$CACHE/rootfs/layer$((i + 1))"
mkdir -p "$dir/var/lib/dpkg"
cp "$STATUS" "$dir/var/lib/dpkg/status"
add_layer "$dir"

join() { local IFS=,; echo "$*"; }
config="$CACHE/config.json"
printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/bash"],"Labels":{"org.opencontainers.image.source":"runwarden/scripts/build-bench-image.sh"}},"rootfs":{"type":"layers","diff_ids":[%s]},"history":[%s]}' \
  "$(join "${diff_ids[@]}")" "$(join "${history[@]}")" >"$config"
config_size="$(stat -c %s "$config")"
config_hex="$(put "$config")"
manifest="$CACHE/manifest.json"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
  "$config_hex" "$config_size" "$(join "${layer_descs[@]}")" >"$manifest"
manifest_size="$(stat -c %s "$manifest")"
manifest_hex="$(put "$manifest")"
printf '{"imageLayoutVersion":"1.0.0"}' >"$LAYOUT/oci-layout"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"org.opencontainers.image.ref.name":"1","io.containerd.image.name":"%s"}}]}' \
  "$manifest_hex" "$manifest_size" "$REFERENCE" >"$LAYOUT/index.json"
rm -rf "$CACHE/rootfs" "$STATUS"
echo "$MARKER" >"$CACHE/marker"
echo "image: $REFERENCE sha256:$manifest_hex, $(du -sm "$BLOBS" | cut -f1) MB of blobs" >&2
echo "$LAYOUT"
