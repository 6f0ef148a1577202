import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScanReport } from '../../core/report.js';
import type { ClusterObjects } from '../../inventory/schema.js';
import type { SourceResult } from '../../inventory/source.js';
import { loadSnapshot } from '../../inventory/sources/snapshot/index.js';
import { demoSnapshotPath } from '../../paths.js';
import { scan } from '../../scan/index.js';
import { LAST_APPLIED, StringPool, trimObject } from './trim.js';

const UPSTREAM = join(process.cwd(), 'testdata', 'upstream', 'cluster-state');
const NOW = new Date('2026-12-01T00:00:00Z');

function trimmed(result: SourceResult): SourceResult {
  const objects = Object.fromEntries(Object.entries(structuredClone(result.objects)).map(([kind, list]) => [kind, (list as object[]).map((o) => trimObject(o, kind))])) as unknown as ClusterObjects;
  return { ...result, objects };
}

async function report(result: SourceResult): Promise<ScanReport> {
  const outcome = await scan({ source: { id: 'kubernetes', load: () => Promise.resolve(result) }, now: NOW, lifecycle: {} });
  return outcome.report;
}

const size = (r: SourceResult): number => JSON.stringify(r.objects).length;

describe('trimObject: what the informers keep', () => {
  it('drops managedFields, last-applied, heartbeat and probe status, keeping what the readers read', () => {
    const pod = {
      metadata: { name: 'p', namespace: 'n', managedFields: [{ manager: 'kubectl' }], annotations: { [LAST_APPLIED]: '{"spec":{}}', keep: 'me' } },
      spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
      status: {
        phase: 'Running',
        podIP: '10.0.0.1',
        podIPs: [{ ip: '10.0.0.1' }],
        hostIP: '192.168.0.1',
        conditions: [{ type: 'Ready', status: 'True' }],
        startTime: '2026-01-01T00:00:00Z',
        qosClass: 'BestEffort',
        containerStatuses: [{ name: 'c', image: 'nginx:1', imageID: 'docker.io/library/nginx@sha256:aa', restartCount: 2, state: { running: {} }, ready: true, started: true, lastState: { terminated: {} }, containerID: 'containerd://x' }],
      },
    };
    trimObject(pod, 'Pod');
    expect(pod).toEqual({
      metadata: { name: 'p', namespace: 'n', annotations: { keep: 'me' } },
      spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
      status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }], containerStatuses: [{ name: 'c', image: 'nginx:1', imageID: 'docker.io/library/nginx@sha256:aa', restartCount: 2, state: { running: {} } }] },
    });
    const node = {
      metadata: { name: 'n1' },
      status: {
        images: [{ names: ['a'], sizeBytes: 1 }],
        nodeInfo: { kubeletVersion: 'v1.30.0' },
        capacity: { cpu: '4' },
        allocatable: { cpu: '4' },
        addresses: [{ type: 'InternalIP', address: '1.2.3.4' }],
        conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'm', lastTransitionTime: 't', lastHeartbeatTime: 'h' }],
      },
    };
    trimObject(node, 'Node');
    expect(node.status).toEqual({ images: [{ names: ['a'], sizeBytes: 1 }], nodeInfo: { kubeletVersion: 'v1.30.0' }, conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'm', lastTransitionTime: 't' }] });
    const deployment: Record<string, unknown> = { metadata: { name: 'd' }, spec: { replicas: 1 }, status: { readyReplicas: 1 } };
    trimObject(deployment, 'Deployment');
    expect(deployment).toEqual({ metadata: { name: 'd' }, spec: { replicas: 1 } });
    const service: Record<string, unknown> = { metadata: { name: 's' }, spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } };
    trimObject(service, 'Service');
    expect(service.status).toEqual({ loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } });
    // Not an object: left alone.
    expect(trimObject(null, 'Pod')).toBeNull();
    expect(trimObject([1], 'Pod')).toEqual([1]);
  });

  for (const [name, path] of [
    ['the upstream cluster-state dumps (real captured objects with managedFields)', UPSTREAM],
    ['the demo snapshot', demoSnapshotPath()],
  ] as const) {
    it(`gives the same scan report (findings, issues, lifecycle) on trimmed objects: ${name}`, async () => {
      const raw = await loadSnapshot({ path });
      const small = trimmed(raw);
      expect(size(small)).toBeLessThan(size(raw));
      const [full, trim] = await Promise.all([report(raw), report(small)]);
      expect(full.findings.length).toBeGreaterThan(0);
      expect(JSON.stringify(trim.findings)).toBe(JSON.stringify(full.findings));
      expect(JSON.stringify(trim.issues)).toBe(JSON.stringify(full.issues));
      expect(trim.summary).toEqual(full.summary);
      expect(trim.lifecycle).toEqual(full.lifecycle);
    });
  }
});

describe('StringPool', () => {
  it('shares equal string values across objects, leaves unique keys alone, and starts afresh past its limit', () => {
    const pool = new StringPool(3);
    const a = JSON.parse('{"metadata":{"name":"a","uid":"u1","labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1"}]},"x":["web"]}') as { metadata: { labels: { app: string } }; spec: { containers: Array<{ image: string }> }; x: string[] };
    const b = JSON.parse('{"metadata":{"name":"b","uid":"u2","labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1"}]},"x":["web"]}') as typeof a;
    const copyA = structuredClone(a);
    pool.intern(a);
    pool.intern(b);
    expect(a).toEqual(copyA);
    expect(pool.size).toBe(2); // "web" and "nginx:1"; name and uid are not pooled
    pool.intern({ v: 'one' });
    pool.intern({ v: 'two' });
    expect(pool.size).toBe(1);
    expect(pool.intern(null)).toBeNull();
  });
});
