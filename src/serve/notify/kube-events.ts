/**
 * Kubernetes Events on the affected workload (optional, `--kube-events`): `kubectl describe deployment web`
 * and `kubectl get events` then show that runwarden found something new (Warning, reason `RunwardenFinding`),
 * a container turned end-of-life (Warning, `RunwardenEndOfLife`) or a finding was fixed (Normal,
 * `RunwardenFixed`). Only findings about a workload get an Event (core/v1 Events name one object); at most
 * `maxPerScan` per scan, deduplicated like the webhook. Events are best effort: a failed create is counted
 * and logged, never retried (the next scan's diff does not repeat it; the history has it).
 * Needs `create` on `events` (deploy/serve/rbac-events.yaml). Never stores reports in etcd: one line each.
 */
import { errorMessage } from '../../core/errors.js';
import { subjectPath, type Finding } from '../../core/finding.js';
import { atLeast, type Severity } from '../../core/severity.js';
import type { ApiClient } from '../../inventory/sources/kubernetes/client.js';
import type { ScanDiff } from '../history/store.js';
import type { Notifier } from '../index.js';
import type { Logger } from '../log.js';
import type { ServeMetrics } from '../metrics/index.js';

/** apiVersion of the workload kinds the inventory resolves pods to. */
const API_VERSIONS: Record<string, string> = { Deployment: 'apps/v1', StatefulSet: 'apps/v1', DaemonSet: 'apps/v1', ReplicaSet: 'apps/v1', Job: 'batch/v1', CronJob: 'batch/v1', Pod: 'v1' };

export interface KubeEventsOptions {
  client: Pick<ApiClient, 'write'>;
  minSeverity: Severity;
  maxPerScan?: number | undefined;
  dedupeTtlMs?: number | undefined;
  metrics?: ServeMetrics | undefined;
  log: Logger;
  now?: (() => Date) | undefined;
  /** Who reports the Events (`reportingComponent`, and `reportingInstance` without the `runwarden.io/` prefix); default `runwarden.io/serve`. */
  component?: string | undefined;
}

interface Planned {
  finding: Finding;
  type: 'Warning' | 'Normal';
  reason: 'RunwardenFinding' | 'RunwardenEndOfLife' | 'RunwardenFixed';
}

export function kubeEventsNotifier(options: KubeEventsOptions): Notifier {
  const now = options.now ?? (() => new Date());
  const maxPerScan = options.maxPerScan ?? 50;
  const component = options.component ?? 'runwarden.io/serve';
  const ttl = options.dedupeTtlMs ?? 24 * 3_600_000;
  const sent = new Map<string, number>();
  let inFlight: Promise<void> = Promise.resolve();
  const count = (outcome: string): void => options.metrics?.notifications.inc({ sink: 'kube-event', outcome });

  async function create(p: Planned): Promise<void> {
    const subject = p.finding.subject;
    const workload = subject.workload;
    const namespace = subject.namespace;
    if (workload === undefined || namespace === undefined) return;
    const at = now().toISOString();
    const verb = p.reason === 'RunwardenFixed' ? 'fixed' : p.reason === 'RunwardenEndOfLife' ? 'end of life' : `${p.finding.severity} finding`;
    const message = `runwarden ${verb}: ${p.finding.title} [${p.finding.rule} on ${subjectPath(subject)}, fingerprint ${p.finding.id}]`.slice(0, 1024);
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${workload.name.slice(0, 200)}.runwarden-`, namespace, labels: { 'app.kubernetes.io/managed-by': 'runwarden' } },
      involvedObject: { apiVersion: API_VERSIONS[workload.kind] ?? 'v1', kind: workload.kind, name: workload.name, namespace },
      reason: p.reason,
      message,
      type: p.type,
      source: { component: 'runwarden' },
      reportingComponent: component,
      reportingInstance: component.replace('runwarden.io/', 'runwarden-'),
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    };
    try {
      const reply = await options.client.write('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, event, AbortSignal.timeout(10_000));
      if (reply.status === 201 || reply.status === 200) count('delivered');
      else {
        count('failed');
        options.metrics?.errors.inc({ adapter: 'kubernetes' });
        options.log('warn', 'kubernetes event not created', { namespace, status: reply.status, hint: reply.status === 403 ? 'grant create on events (deploy/serve/rbac-events.yaml)' : undefined });
      }
    } catch (error) {
      count('failed');
      options.metrics?.errors.inc({ adapter: 'kubernetes' });
      options.log('warn', 'kubernetes event not created', { namespace, error: errorMessage(error) });
    }
  }

  return {
    name: 'kube-event',
    notify(diff: ScanDiff): Promise<void> {
      const t = now().getTime();
      for (const [key, expires] of sent) if (expires <= t) sent.delete(key);
      const planned: Planned[] = [];
      for (const f of diff.opened) {
        if (f.kind === 'end-of-life') planned.push({ finding: f, type: 'Warning', reason: 'RunwardenEndOfLife' });
        else if (atLeast(f.severity, options.minSeverity)) planned.push({ finding: f, type: 'Warning', reason: 'RunwardenFinding' });
      }
      for (const f of diff.fixed) if (atLeast(f.severity, options.minSeverity)) planned.push({ finding: f.finding, type: 'Normal', reason: 'RunwardenFixed' });
      const chosen = planned.filter((p) => {
        if (p.finding.subject.workload === undefined || p.finding.subject.namespace === undefined) return false;
        const key = `${p.reason}\0${p.finding.id}`;
        if (sent.has(key)) {
          count('deduplicated');
          return false;
        }
        sent.set(key, t + ttl);
        return true;
      });
      if (chosen.length > maxPerScan) options.metrics?.notifications.inc({ sink: 'kube-event', outcome: 'rate-limited' }, chosen.length - maxPerScan);
      const batch = chosen.slice(0, maxPerScan);
      // One create at a time, after the previous scan's: the API server sees a trickle, not a burst.
      inFlight = inFlight.then(async () => {
        for (const p of batch) await create(p);
      });
      return Promise.resolve();
    },
    async close(): Promise<void> {
      await inFlight;
    },
  };
}
