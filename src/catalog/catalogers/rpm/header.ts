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

const WANTED = new Set<number>(Object.values(TAG));

/** One index entry of a wanted tag: its type, element count, and where its data starts; `end` bounds the data. */
interface Entry {
  tag: number;
  type: number;
  count: number;
  start: number;
  end: number;
}

/** Walks the index entries of a header blob (bounds-checked preamble and offsets), calling `fn` for wanted tags. */
function forEachEntry(blob: Buffer, wanted: ReadonlySet<number>, fn: (entry: Entry) => void): void {
  if (blob.length < 8) throw new RpmHeaderError(`header blob of ${blob.length} bytes is shorter than its 8-byte preamble`);
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  const dataStart = 8 + il * 16;
  if (il > 0xffff || dl > 256 * 1024 * 1024 || dataStart + dl > blob.length) throw new RpmHeaderError(`header claims ${il} entries and ${dl} data bytes, more than its ${blob.length} bytes`);
  for (let i = 0; i < il; i++) {
    const at = 8 + i * 16;
    const tag = blob.readInt32BE(at);
    if (!wanted.has(tag)) continue;
    const offset = blob.readInt32BE(at + 8);
    if (offset < 0 || offset >= dl) throw new RpmHeaderError(`tag ${tag} points at offset ${offset}, outside the ${dl} data bytes`);
    fn({ tag, type: blob.readUInt32BE(at + 4), count: blob.readUInt32BE(at + 12), start: dataStart + offset, end: dataStart + dl });
  }
}

/** Tag → value for the tags we use, from one header blob. */
export function parseHeaderBlob(blob: Buffer): RpmHeader {
  const values = new Map<number, string | number>();
  forEachEntry(blob, WANTED, (e) => {
    if (e.type === TYPE.int32) {
      if (e.count < 1 || e.start + 4 > e.end) throw new RpmHeaderError(`tag ${e.tag} (int32) runs past the data`);
      values.set(e.tag, blob.readInt32BE(e.start));
    } else if (e.type === TYPE.string || e.type === TYPE.i18n || e.type === TYPE.stringArray) {
      const nul = blob.indexOf(0, e.start);
      if (nul === -1 || nul > e.end) throw new RpmHeaderError(`tag ${e.tag} (string) is not NUL-terminated inside the data`);
      values.set(e.tag, blob.toString('utf8', e.start, nul));
    }
  });
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

/** Dependency and file-list tags (rpm's rpmtag.h). */
export const DEP_TAG = { oldFilenames: 1027, provideName: 1047, requireFlags: 1048, requireName: 1049, dirIndexes: 1116, baseNames: 1117, dirNames: 1118 } as const;
/** RPMSENSE_RPMLIB: a requirement on a feature of rpm itself (`rpmlib(...)`), not on a package. */
export const RPMSENSE_RPMLIB = 1 << 24;

/**
 * The string-array and int32-array values of `tags` in one header blob (bounds-checked like
 * parseHeaderBlob; a value running past the data throws).
 */
export function readHeaderArrays(blob: Buffer, tags: readonly number[]): Map<number, string[] | number[]> {
  const out = new Map<number, string[] | number[]>();
  forEachEntry(blob, new Set(tags), (e) => {
    let pos = e.start;
    if (e.type === TYPE.int32) {
      if (pos + e.count * 4 > e.end) throw new RpmHeaderError(`tag ${e.tag} (int32 array of ${e.count}) runs past the data`);
      const values: number[] = [];
      for (let k = 0; k < e.count; k++) values.push(blob.readInt32BE(pos + k * 4));
      out.set(e.tag, values);
    } else if (e.type === TYPE.stringArray || e.type === TYPE.string) {
      const values: string[] = [];
      for (let k = 0; k < e.count; k++) {
        const nul = blob.indexOf(0, pos);
        if (nul === -1 || nul >= e.end) throw new RpmHeaderError(`tag ${e.tag} (string array) is not NUL-terminated inside the data`);
        values.push(blob.toString('utf8', pos, nul));
        pos = nul + 1;
      }
      out.set(e.tag, values);
    }
  });
  return out;
}
