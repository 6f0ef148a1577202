/**
 * RPM header blobs as rpmdb stores them (no lead, no magic): `il` index entries and `dl` data bytes,
 * both big-endian (https://rpm-software-management.github.io/rpm/manual/format_header.html). Parsed
 * natively and bounds-checked: a damaged blob is an error for that one package, never a crash.
 */

const TAG = { name: 1000, version: 1001, release: 1002, epoch: 1003, size: 1009, vendor: 1011, license: 1014, arch: 1022, sourceRpm: 1044 } as const;
const TYPE = { int32: 4, string: 6, stringArray: 8, i18n: 9 } as const;

export interface RpmHeader {
  name: string;
  version: string;
  release: string;
  epoch?: number | undefined;
  arch?: string | undefined;
  sourceRpm?: string | undefined;
  vendor?: string | undefined;
  license?: string | undefined;
  size?: number | undefined;
}

export class RpmHeaderError extends Error {}

/** Tag → value for the tags we use, from one header blob. */
export function parseHeaderBlob(blob: Buffer): RpmHeader {
  if (blob.length < 8) throw new RpmHeaderError(`header blob of ${blob.length} bytes is shorter than its 8-byte preamble`);
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  const dataStart = 8 + il * 16;
  if (il > 0xffff || dl > 256 * 1024 * 1024 || dataStart + dl > blob.length) throw new RpmHeaderError(`header claims ${il} entries and ${dl} data bytes, more than its ${blob.length} bytes`);
  const wanted = new Set<number>(Object.values(TAG));
  const values = new Map<number, string | number>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * 16;
    const tag = blob.readInt32BE(at);
    if (!wanted.has(tag)) continue;
    const type = blob.readUInt32BE(at + 4);
    const offset = blob.readInt32BE(at + 8);
    const count = blob.readUInt32BE(at + 12);
    if (offset < 0 || offset >= dl) throw new RpmHeaderError(`tag ${tag} points at offset ${offset}, outside the ${dl} data bytes`);
    const start = dataStart + offset;
    if (type === TYPE.int32) {
      if (count < 1 || offset + 4 > dl) throw new RpmHeaderError(`tag ${tag} (int32) runs past the data`);
      values.set(tag, blob.readInt32BE(start));
    } else if (type === TYPE.string || type === TYPE.i18n || type === TYPE.stringArray) {
      const end = blob.indexOf(0, start);
      if (end === -1 || end > dataStart + dl) throw new RpmHeaderError(`tag ${tag} (string) is not NUL-terminated inside the data`);
      values.set(tag, blob.toString('utf8', start, end));
    }
  }
  const str = (tag: number): string | undefined => {
    const v = values.get(tag);
    return typeof v === 'string' ? v : undefined;
  };
  const name = str(TAG.name);
  const version = str(TAG.version);
  const release = str(TAG.release);
  if (name === undefined || version === undefined || release === undefined) throw new RpmHeaderError(`header has no ${name === undefined ? 'NAME' : version === undefined ? 'VERSION' : 'RELEASE'} tag`);
  const epoch = values.get(TAG.epoch);
  const size = values.get(TAG.size);
  return {
    name, version, release,
    epoch: typeof epoch === 'number' ? epoch : undefined,
    arch: str(TAG.arch), sourceRpm: str(TAG.sourceRpm), vendor: str(TAG.vendor), license: str(TAG.license),
    size: typeof size === 'number' ? size : undefined,
  };
}
