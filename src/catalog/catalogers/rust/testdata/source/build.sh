#!/bin/sh
# Rebuilds ../auditable/usr/local/bin/hello: a real rustc-built ELF (rustc 1.95, dynamically linked to
# libstd so the fixture stays 5 KB) with a `.dep-v0` section added by binutils objcopy, holding
# dep-v0.json zlib-compressed as cargo-auditable writes it (cargo-auditable itself is not installable
# offline here). The test builds a static binary the same way when rustc is present.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
rustc -C opt-level=z -C strip=symbols -C prefer-dynamic hello.rs -o "$tmp/hello"
node -e 'const z=require("zlib"),f=require("fs");f.writeFileSync(process.argv[2],z.deflateSync(JSON.stringify(JSON.parse(f.readFileSync("dep-v0.json","utf8"))),{level:7}))' "$tmp/dep-v0.zlib"
objcopy --add-section .dep-v0="$tmp/dep-v0.zlib" --set-section-flags .dep-v0=readonly,data "$tmp/hello" ../auditable/usr/local/bin/hello
rm -rf "$tmp"
