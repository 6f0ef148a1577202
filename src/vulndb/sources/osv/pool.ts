/**
 * Worker threads for large OSV imports. Reading, JSON.parse, the zod schema and preparing the rows cost
 * about as much CPU as writing them to SQLite (bench/vulndb), and SQLite writes must stay on one
 * connection in one transaction. So workers (worker.ts) turn jobs of files or zip entries into prepared
 * records while the main thread writes the previous job: a pipeline, results consumed in job order, with a
 * bounded number of jobs in flight (memory stays bounded whatever the input size).
 *
 * Why our own pool: jobs are few and coarse (about 1 MiB of input each) and must come back in order; a
 * small class on node:worker_threads does that, and no installed dependency offers it.
 */
import { Worker } from 'node:worker_threads';
import type { Issue } from '../../../core/issue.js';
import { zipCorrupt } from '../../files.js';
import type { PreparedBatch } from '../../store/prepare.js';
import type { JobItem, JobReply, JobRequest } from './worker.js';

export interface JobResult {
  batch: PreparedBatch;
  issues: Issue[];
}

interface Pending {
  resolve: (result: JobResult) => void;
  reject: (error: Error) => void;
}

/**
 * A worker's young generation: 96 MiB (32 MiB semi-spaces) instead of V8's 48. Parsing, validating and
 * stringifying a job allocate ~10 MiB of short-lived objects per MiB of input; measured on 60 bench/vulndb files
 * in one thread (`--max-semi-space-size`), GC pauses went from ~1.4 s to ~1.0 s (16 → 32 MiB semi-spaces) for
 * ~50 MiB more memory per worker.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 96 };

/**
 * Start the worker of this folder. Built JavaScript runs `worker.js` next to this file; when the sources
 * run as TypeScript (tests, `tsx`), the worker registers tsx first so it can load `worker.ts`.
 */
function startWorker(): Worker {
  const typescript = import.meta.url.endsWith('.ts');
  const url = new URL(typescript ? './worker.ts' : './worker.js', import.meta.url);
  if (!typescript) return new Worker(url, { resourceLimits: WORKER_LIMITS });
  return new Worker(`import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true, resourceLimits: WORKER_LIMITS });
}

export class ParsePool {
  private readonly workers: Worker[] = [];
  private readonly ready: Array<Promise<void>> = [];
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;
  private next = 0;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = startWorker();
      // settles on the first message ('ready') or on failure; `run` checks `failure` afterwards
      this.ready.push(
        new Promise<void>((resolve) => {
          worker.once('message', () => resolve());
          worker.once('error', () => resolve());
          worker.once('exit', () => resolve());
        }),
      );
      worker.on('message', (reply: JobReply | 'ready') => this.settle(reply));
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`an OSV reader thread stopped with exit code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  private settle(reply: JobReply | 'ready'): void {
    if (reply === 'ready') return;
    const pending = this.pending.get(reply.job);
    if (pending === undefined) return;
    this.pending.delete(reply.job);
    // a zip entry the worker could not read: the archive is corrupt, and the import is refused as in-thread (files.ts)
    if ('error' in reply) pending.reject(reply.zip === undefined ? new Error(reply.error) : zipCorrupt(reply.zip, new Error(reply.error)));
    else pending.resolve({ batch: reply.batch, issues: reply.issues });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  /** Prepare one job on the next worker (round robin). */
  async run(items: JobItem[]): Promise<JobResult> {
    const job = this.next++;
    const worker = this.workers[job % this.workers.length];
    if (worker === undefined) throw new Error('the OSV reader pool has no threads');
    await this.ready[job % this.workers.length];
    if (this.failure !== undefined) throw this.failure;
    return new Promise<JobResult>((resolve, reject) => {
      this.pending.set(job, { resolve, reject });
      // bytes are copied, not transferred: a Buffer may share its memory with Node's buffer pool
      worker.postMessage({ job, items } satisfies JobRequest);
    });
  }

  async close(): Promise<void> {
    this.fail(new Error('the OSV reader pool was closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Run jobs on `pool` with at most `depth` in flight and yield their results in job order. Stops (and
 * rethrows) at the first failed job.
 */
export async function* ordered(pool: ParsePool, jobs: AsyncIterable<JobItem[]>, depth: number, signal?: AbortSignal): AsyncGenerator<JobResult> {
  const queue: Array<Promise<JobResult>> = [];
  const enqueue = (items: JobItem[]): void => {
    const result = pool.run(items);
    // awaited in order below; the no-op keeps a failure of a later job from counting as unhandled meanwhile
    result.catch(() => undefined);
    queue.push(result);
  };
  for await (const items of jobs) {
    signal?.throwIfAborted();
    enqueue(items);
    const head = queue.length >= depth ? queue.shift() : undefined;
    if (head !== undefined) yield await head;
  }
  for (let head = queue.shift(); head !== undefined; head = queue.shift()) {
    signal?.throwIfAborted();
    yield await head;
  }
}
