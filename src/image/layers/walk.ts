/**
 * One pass over one layer blob: decompressed once (compression.ts), parsed as it streams by our
 * push parser (tar.ts: headers decoded in place, bodies handed on as sub-arrays of the decompressed
 * chunks, unwanted bodies skipped), never held in memory whole and never written to disk. Produces the layer's index and
 * hands each regular file's content to the sink the caller returns for it.
 *
 * Untrusted input (OCI image-spec layer.md "Whiteouts", "Hardlinks"; tar(5)):
 * - names are normalised (path.ts); a name that climbs above the root is skipped with an issue;
 * - `.wh.<name>` deletes `<name>` from lower layers, `.wh..wh..opq` hides a folder's lower content;
 *   a whiteout naming "", "." or ".." is invalid and ignored; other `.wh..wh.` names are AUFS
 *   bookkeeping and ignored;
 * - hard links must name a path inside the root; a symlink whose relative target climbs out of the
 *   root is recorded (it resolves inside the root, as in the container);
 * - a layer that ends inside an entry (the header declares more bytes than there are), a corrupt
 *   or truncated gzip/zstd stream, or a layer over the size limits stops the pass with an issue;
 *   the entries before stay (partial result) and the blob is still read to its end so its digest
 *   is verified. A digest mismatch rejects the whole layer: `readLayer` throws.
 */
import type { Readable, Transform } from 'node:stream';
import { errorMessage } from '../../core/errors.js';
import { issue, type Issue } from '../../core/issue.js';
import { decompressor, sniffCompression, type Compression } from './compression.js';
import { basenameOf, dirnameOf, joinPath, normalizeTarPath, symlinkTarget } from './path.js';
import { FileBlobStream } from '../file-blob.js';
import { TarError, TarParser, type TarHeader } from './tar.js';
import type { EntryType, LayerEntry, LayerIndex } from './types.js';

export interface LayerLimits {
  /** Uncompressed bytes of one layer; more stops the pass (decompression bombs). Default 64 GiB. */
  maxLayerBytes: number;
  /** Tar entries of one layer. Default 1,000,000. */
  maxEntries: number;
  /** Per-entry issues kept per layer; the rest are counted in one summary issue. Default 100. */
  maxIssues: number;
}

export const DEFAULT_LAYER_LIMITS: LayerLimits = { maxLayerBytes: 64 * 1024 ** 3, maxEntries: 1_000_000, maxIssues: 100 };

/** Receives one file's content. Must not throw: the analysis runner wraps analysers. */
export interface FileSink {
  write(chunk: Buffer): void | Promise<void>;
  end(): void | Promise<void>;
  /** The content could not be read to its end: whatever was received must be discarded. */
  abort(reason: string): void;
}

export interface ReadLayerOptions {
  /** For messages: `layer 2/5 (sha256:abcd…)`. */
  label?: string;
  signal?: AbortSignal | undefined;
  limits?: Partial<LayerLimits> | undefined;
  /** Called for each regular file; return a sink to receive its content, or undefined to skip it. */
  onFile?: ((entry: LayerEntry) => FileSink | undefined) | undefined;
  /** Called for each hard link (its content is its target's). */
  onHardlink?: ((entry: LayerEntry) => void) | undefined;
}

/** Tar typeflags (tar.ts gives NUL as '0'); '7' is a contiguous file, read as a regular one. */
const TYPES: Partial<Record<string, EntryType>> = { '0': 'file', '7': 'file', '5': 'dir', '2': 'symlink', '1': 'hardlink', '3': 'char', '4': 'block', '6': 'fifo' };

export interface LayerReadResult extends LayerIndex {
  /** Compression found in the blob's first bytes. */
  compression: Compression | undefined;
}

/** Read a layer blob (a verifying stream from an ImageHandle) to its index. */
export function readLayer(blob: Readable, digest: string, options: ReadLayerOptions = {}): Promise<LayerReadResult> {
  const limits: LayerLimits = { ...DEFAULT_LAYER_LIMITS, ...options.limits };
  const label = options.label ?? `layer ${digest}`;
  const result: LayerReadResult = { digest, entries: [], whiteouts: [], opaques: [], issues: [], stats: { entries: 0, bytes: 0, fileBytes: 0 }, complete: true, compression: undefined };
  let suppressed = 0;
  const addIssue = (i: Issue): void => {
    if (result.issues.length < limits.maxIssues) result.issues.push(i);
    else suppressed++;
  };

  return new Promise<LayerReadResult>((resolve, reject) => {
    let settled = false;
    let decomp: Transform | undefined;
    /** What the parser is fed from: the decompressor, or the blob itself for an uncompressed tar. */
    let source: Readable | undefined;
    let parseDone = false;
    let blobDone = false;
    let inputEnded = false;
    /** A blob file read into one reused buffer (file-blob.ts) rather than as a stream. */
    const pooled = blob instanceof FileBlobStream ? blob : undefined;
    /** Pooled reading of a plain tar waits here while a sink holds the parser. */
    let resumePooled: (() => void) | undefined;
    /** The parser holds on a sink's promise; decompressed chunks that still arrive wait here. */
    let waiting = false;
    const queued: Buffer[] = [];
    let absolute = 0;
    let current: { path: string; declared: number; received: number; sink: FileSink | undefined } | undefined;

    const onAbort = (): void => fail(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    function cleanup(): void {
      options.signal?.removeEventListener('abort', onAbort);
    }

    function finish(): void {
      if (settled || !parseDone || !blobDone) return;
      settled = true;
      cleanup();
      if (absolute > 0) result.issues.push(issue('layer-absolute-paths', `${label}: ${absolute} entr${absolute === 1 ? 'y has an absolute name' : 'ies have absolute names'}; read relative to the image root`, label));
      if (suppressed > 0) result.issues.push(issue('layer-issues-truncated', `${label}: ${suppressed} more issues of this layer were not listed`, label));
      resolve(result);
    }

    function fail(error: unknown): void {
      if (settled) return;
      settled = true;
      cleanup();
      current?.sink?.abort('the layer was rejected');
      current = undefined;
      parser.stop();
      decomp?.destroy();
      blob.destroy();
      reject(error instanceof Error ? error : new Error(String(error)));
    }

    /** Stop parsing (partial result); keep reading the blob so its digest is still checked. */
    function stop(i: Issue): void {
      if (parseDone) return;
      parseDone = true;
      result.complete = false;
      result.issues.push(i);
      current?.sink?.abort(i.message);
      current = undefined;
      parser.stop();
      queued.length = 0;
      decomp?.destroy();
      if (pooled === undefined) blob.resume();
      finish();
    }

    function streamIssue(error: unknown): Issue {
      const message = errorMessage(error);
      const inside = current === undefined ? '' : ` inside "${current.path}" (its header declares ${current.declared} bytes, ${current.received} arrived)`;
      if ((error instanceof TarError && error.kind === 'truncated') || /unexpected end of (data|file)|unexpected EOF|zstd: .*(5|EOF)/i.test(message)) {
        return issue('layer-truncated', `${label} is truncated: the ${result.compression === 'none' ? 'tar' : `${result.compression ?? ''} stream`} ends early${inside}; files after that point are missing`, label, 'The image is damaged or was cut short in transfer: re-pull or rebuild it.');
      }
      if (error instanceof TarError) {
        return issue('layer-corrupt', `${label} is not a valid tar after ${result.stats.entries} entries: ${message}`, label, 'The layer is corrupt or not a tar: rebuild the image.');
      }
      return issue('layer-corrupt', `${label} cannot be decompressed (${result.compression ?? 'unknown'}): ${message}${inside}`, label, 'The layer is corrupt: rebuild or re-pull the image.');
    }

    function onHeader(header: TarHeader): void {
      current = undefined;
      result.stats.entries++;
      if (result.stats.entries > limits.maxEntries) {
        stop(issue('layer-too-many-entries', `${label} has more than ${limits.maxEntries} entries; the rest were not read`, label, 'Raise the entry limit if this image is legitimate.'));
        return;
      }
      const name = normalizeTarPath(header.name);
      // Every entry with a body is tracked, so a truncation inside it is reported with its name.
      const skip = (): void => {
        if (header.size > 0) current = { path: name.path === '' ? header.name.slice(0, 300) : name.path, declared: header.size, received: 0, sink: undefined };
      };
      if (name.escapes) {
        addIssue(issue('layer-path-traversal', `${label}: entry "${header.name.slice(0, 300)}" climbs out of the image root with ".."; skipped`, label, 'A layer built to write outside the root is hostile: do not run this image.'));
        skip();
        return;
      }
      if (name.absolute) absolute++;
      const path = name.path;
      if (path === '') {
        skip();
        return;
      }
      const base = basenameOf(path);
      if (base.startsWith('.wh.')) {
        const dir = dirnameOf(path);
        if (base === '.wh..wh..opq') result.opaques.push(dir);
        else if (!base.startsWith('.wh..wh.')) {
          const target = base.slice('.wh.'.length);
          if (target === '' || target === '.' || target === '..') {
            addIssue(issue('layer-whiteout-invalid', `${label}: whiteout "${path}" names "${target}", which would delete a parent folder; ignored`, label, 'A whiteout must name one file or folder inside its own folder.'));
          } else {
            result.whiteouts.push(joinPath(dir, target));
          }
        }
        skip();
        return;
      }
      const type = TYPES[header.flag];
      if (type === undefined) {
        addIssue(issue('layer-entry-unsupported', `${label}: entry "${path}" has tar type "${header.flag}", which runwarden does not read; skipped`, label));
        skip();
        return;
      }
      const entry: LayerEntry = { path, type, size: type === 'file' ? header.size : 0, mode: header.mode, uid: header.uid, gid: header.gid, mtime: header.mtime };
      if (type === 'hardlink' || type === 'symlink') {
        const raw = header.linkname;
        if (raw === '') {
          addIssue(issue('layer-link-invalid', `${label}: ${type === 'hardlink' ? 'hard link' : 'symlink'} "${path}" has no target; skipped`, label));
          return;
        }
        if (type === 'hardlink') {
          const target = normalizeTarPath(raw);
          if (target.escapes || target.path === '') {
            addIssue(issue('layer-link-escape', `${label}: hard link "${path}" → "${raw.slice(0, 300)}" points outside the image root; skipped, never followed`, label, 'A layer built to reach outside the root is hostile: do not run this image.'));
            return;
          }
          if (target.path === path) {
            addIssue(issue('layer-link-invalid', `${label}: hard link "${path}" links to itself; skipped`, label));
            return;
          }
          entry.linkname = target.path;
        } else {
          entry.linkname = raw;
          if (symlinkTarget(path, raw).escapes) {
            addIssue(issue('layer-link-escape', `${label}: symlink "${path}" → "${raw.slice(0, 300)}" climbs out of the image root; it is resolved inside the root, never outside`, label));
          }
        }
      }
      if (header.declared > limits.maxLayerBytes) {
        stop(issue('layer-too-large', `${label}: entry "${path}" declares ${header.declared} bytes, more than the ${limits.maxLayerBytes}-byte layer limit; the rest of the layer was not read`, label, 'A tar bomb, or a layer beyond the limit: raise it only for an image you trust.'));
        return;
      }
      result.entries.push(entry);
      let sink: FileSink | undefined;
      if (type === 'file') {
        result.stats.fileBytes += entry.size;
        sink = options.onFile?.(entry);
      } else if (type === 'hardlink') {
        options.onHardlink?.(entry);
      }
      current = { path, declared: header.size, received: 0, sink };
    }

    const parser = new TarParser({
      header: onHeader,
      data(chunk) {
        const here = current;
        if (here === undefined) return undefined;
        here.received += chunk.length;
        return here.sink?.write(chunk);
      },
      end() {
        const here = current;
        current = undefined;
        return here?.sink?.end();
      },
    });

    /** One decompressed chunk into the parser, holding the source while a sink makes it wait. */
    function feed(out: Buffer): void {
      if (parseDone || settled) return;
      if (waiting) {
        queued.push(out);
        return;
      }
      result.stats.bytes += out.length;
      if (result.stats.bytes > limits.maxLayerBytes) {
        stop(issue('layer-too-large', `${label} decompresses to more than ${limits.maxLayerBytes} bytes; the rest was not read`, label, 'A decompression bomb, or a layer beyond the limit: raise it only for an image you trust.'));
        return;
      }
      let wait: Promise<void> | undefined;
      try {
        wait = parser.write(out);
      } catch (error) {
        stop(streamIssue(error));
        return;
      }
      if (wait === undefined) return;
      waiting = true;
      source?.pause();
      wait.then(
        () => {
          waiting = false;
          if (parseDone || settled) return;
          while (queued.length > 0 && !waiting && !parseDone) feed(queued.shift() as Buffer);
          if (waiting || parseDone) return;
          if (inputEnded) inputEnd();
          else if (resumePooled !== undefined) resumePooled();
          else source?.resume();
        },
        (error: unknown) => {
          waiting = false;
          if (error instanceof TarError) stop(streamIssue(error));
          else fail(error);
        },
      );
    }

    /** The decompressed input ended: the tar must be complete. */
    function inputEnd(): void {
      inputEnded = true;
      if (waiting || parseDone || settled) return;
      try {
        parser.end();
      } catch (error) {
        stop(streamIssue(error));
        return;
      }
      parseDone = true;
      finish();
    }

    /** The first bytes of the blob: choose the decompressor. */
    function start(chunk: Buffer): void {
      result.compression = sniffCompression(chunk);
      if (result.compression === 'none') {
        source = blob;
        return;
      }
      const d = decompressor(result.compression);
      decomp = d;
      source = d;
      d.on('error', (error: unknown) => stop(streamIssue(error)));
      d.on('data', feed);
      d.on('end', inputEnd);
    }

    function blobEnded(): void {
      blobDone = true;
      if (!parseDone) {
        if (source === undefined) {
          stop(issue('layer-corrupt', `${label} is empty (0 bytes): not a tar`, label, 'Rebuild the image.'));
          return;
        }
        if (decomp === undefined) inputEnd();
        else decomp.end();
      }
      finish();
    }

    /**
     * Pooled reading: the read buffer is reused, so only gzip (node:zlib is done with its input when
     * the write callback runs) gets it as is; a plain tar's bytes reach the sinks, which may keep
     * them, and fzstd may keep input across pushes: those get copies.
     */
    async function pump(file: FileBlobStream): Promise<void> {
      try {
        for await (const chunk of file.pooledChunks()) {
          if (settled) return;
          if (parseDone) continue; // read to the end all the same: the digest is checked there
          if (source === undefined) start(chunk);
          if (decomp === undefined) {
            feed(Buffer.from(chunk));
            if (waiting) await new Promise<void>((resolve) => (resumePooled = resolve));
            resumePooled = undefined;
          } else {
            await written(decomp, result.compression === 'gzip' ? chunk : Buffer.from(chunk));
          }
        }
        if (!settled) blobEnded();
      } catch (error) {
        fail(error);
      }
    }

    if (pooled !== undefined) {
      void pump(pooled);
    } else {
      blob.on('data', (chunk: Buffer) => {
        if (parseDone || settled) return;
        if (source === undefined) start(chunk);
        if (decomp === undefined) {
          feed(chunk);
          return;
        }
        if (!decomp.write(chunk)) {
          blob.pause();
          decomp.once('drain', () => blob.resume());
        }
      });
      blob.on('end', blobEnded);
      blob.on('error', fail);
    }
    if (options.signal?.aborted === true) onAbort();
  });
}

/** Write one chunk; resolves when the decompressor is done with it (or was closed). */
function written(d: Transform, chunk: Buffer): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      d.off('close', done);
      resolve();
    };
    d.once('close', done);
    d.write(chunk, done);
  });
}
