import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TRACES_DIR } from '../../test/audit.js';
import { readAuditEvents, type ReadItem } from './read.js';

async function read(chunks: Array<string | Buffer>, name = 'audit.log'): Promise<ReadItem[]> {
  const out: ReadItem[] = [];
  for await (const item of readAuditEvents(Readable.from(chunks), name)) out.push(item);
  return out;
}

const events = (items: ReadItem[]): string[] => items.flatMap((i) => ('event' in i ? [i.event.auditID] : []));
const issues = (items: ReadItem[]): string[] => items.flatMap((i) => ('issue' in i ? [i.issue.message] : []));
const trace = (file: string): string => readFileSync(join(TRACES_DIR, file), 'utf8');

describe('readAuditEvents', () => {
  it('reads the log backend\'s JSON lines (upstream traces of audit.k8s.io v1, v1beta1 and the older captures)', async () => {
    const text = ['exec_pod.json', 'create_configmap_sensitive_values.json', 'create_nginx_pod_privileged.json'].map(trace).join('\n');
    const items = await read([text]);
    expect(events(items)).toHaveLength(8);
    expect(issues(items)).toEqual([]);
    expect(items.find((i) => 'event' in i)).toMatchObject({ location: 'audit.log:1' });
  });

  it('reports the malformed upstream record (fal_01_003: {"kind": 0}) with its line and reads the rest', async () => {
    const items = await read([`${trace('fal_01_003.json')}\n${trace('exec_pod.json')}`]);
    expect(events(items)).toEqual(['ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6']);
    expect(issues(items)).toEqual([expect.stringMatching(/^audit\.log:1: not a Kubernetes audit event \(kind: .*\); skipped$/)]);
  });

  it('keeps reading after a line that is not JSON (a truncated last line while the API server writes)', async () => {
    const exec = trace('exec_pod.json').trim();
    const items = await read([`${exec}\n{"kind":"Event","auditID":"x","ver\n${exec.replace('ca1ed9f4', 'aaaaaaaa')}\n`]);
    expect(events(items)).toHaveLength(2);
    expect(issues(items)).toEqual(['audit.log:2: not JSON; skipped']);
  });

  it('reads a line split across chunks, CRLF line ends and blank lines', async () => {
    const exec = trace('exec_pod.json').trim();
    const items = await read([exec.slice(0, 100), `${exec.slice(100)}\r\n\r\n`, `${exec.replace('ca1ed9f4', 'bbbbbbbb')}\r\n`]);
    expect(events(items)).toEqual(['ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6', 'bbbbbbbb-7bf4-4c85-81a8-1b11253d1ba6']);
  });

  it('reads an EventList (the webhook backend\'s body), also pretty-printed over many lines, and a JSON array', async () => {
    const event = JSON.parse(trace('exec_pod.json')) as Record<string, unknown>;
    const list = { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [event, { ...event, auditID: 'second' }, { kind: 'Event' }] };
    const compact = await read([JSON.stringify(list)]);
    expect(events(compact)).toEqual(['ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6', 'second']);
    expect(issues(compact)).toEqual([expect.stringMatching(/^audit\.log:1 items\[2\]: not a Kubernetes audit event \(auditID: /)]);
    const pretty = await read([JSON.stringify(list, null, 2)], 'list.json');
    expect(events(pretty)).toEqual(['ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6', 'second']);
    expect(issues(pretty)).toEqual([expect.stringMatching(/^list\.json items\[2\]: /)]);
    expect(events(await read([JSON.stringify([event], null, 2)]))).toEqual(['ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6']);
  });

  it('reads a gzip-compressed rotated log', async () => {
    const gz = gzipSync(Buffer.from(`${trace('exec_pod.json')}\n${trace('attach_pod.json')}\n`));
    expect(events(await read([gz.subarray(0, 10), gz.subarray(10)], 'audit-2026-11-30.log.gz'))).toHaveLength(2);
  });

  it('says in one issue that a multi-line input is neither JSON lines nor a JSON document', async () => {
    const items = await read(['this is not\nan audit log\n']);
    expect(events(items)).toEqual([]);
    expect(issues(items)).toEqual([expect.stringMatching(/^audit\.log: neither JSON lines nor one JSON document \(.+\); nothing read$/)]);
  });

  it('reports at most 20 malformed records one by one, then how many more', async () => {
    const lines = Array.from({ length: 25 }, () => '{"kind":"Event"}').join('\n');
    const items = await read([`${trace('exec_pod.json')}\n${lines}\n`]);
    expect(issues(items)).toHaveLength(21);
    expect(issues(items).at(-1)).toBe('audit.log: 5 more records were not audit events and were skipped');
  });

  it('counts every record it skipped, beyond those it names', async () => {
    const counts = { invalid: 0, notJson: 0 };
    const lines = Array.from({ length: 25 }, () => '{"kind":"Event"}').join('\n');
    for await (const item of readAuditEvents(Readable.from([`${trace('exec_pod.json')}\nnot json\n${lines}\n`]), 'audit.log', counts)) void item;
    expect(counts).toEqual({ invalid: 25, notJson: 1 });
  });
});
