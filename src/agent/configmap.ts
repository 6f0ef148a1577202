/**
 * The node report as a ConfigMap (`runwarden-node-<node>` in the agent's namespace, labelled
 * NODE_REPORT_LABELS, the JSON under `report.json`) and back. Pure: the Kubernetes adapter writes and
 * lists them, the cluster scan decodes them here. A ConfigMap that cannot be decoded becomes an issue
 * that says what is wrong with it; nothing is guessed from a half-readable report.
 */
import { createHash } from 'node:crypto';
import { issue, type Issue } from '../core/issue.js';
import { errorMessage } from '../core/errors.js';
import { NODE_REPORT_LABELS, type ConfigMap } from '../inventory/schema.js';
import { NODE_REPORT_DATA_KEY, NODE_REPORT_KIND, NODE_REPORT_SCHEMA_VERSION, NodeReport } from './schema.js';

export const NODE_REPORT_NAME_PREFIX = 'runwarden-node-';
/** DNS-1123 subdomain: what a ConfigMap name must be. */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const MAX_NAME = 253;

/**
 * `runwarden-node-<node>`. Node names are DNS subdomains already; a name that is not (a host name
 * with capitals, from `--node`) or too long is lower-cased, cleaned and suffixed with a hash of the
 * original, so two nodes never share a report.
 */
export function nodeReportName(node: string): string {
  const plain = `${NODE_REPORT_NAME_PREFIX}${node}`;
  if (plain.length <= MAX_NAME && SUBDOMAIN.test(plain)) return plain;
  const hash = createHash('sha256').update(node).digest('hex').slice(0, 10);
  const cleaned = node
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, MAX_NAME - NODE_REPORT_NAME_PREFIX.length - hash.length - 1)
    .replace(/[-.]+$/, '');
  return `${NODE_REPORT_NAME_PREFIX}${cleaned === '' ? '' : `${cleaned}-`}${hash}`;
}

/** The ConfigMap an agent writes (create or replace). `text` is the encoded report (summary.ts). */
export function nodeReportConfigMap(node: string, text: string, namespace: string): ConfigMap & { apiVersion: 'v1'; kind: 'ConfigMap' } {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: nodeReportName(node),
      namespace,
      labels: { 'app.kubernetes.io/name': 'runwarden', ...NODE_REPORT_LABELS },
    },
    data: { [NODE_REPORT_DATA_KEY]: text },
  };
}

export type DecodedNodeReport = { ok: true; report: NodeReport; configMap: string } | { ok: false; issue: Issue; configMap: string };

/**
 * Decoded reports by ConfigMap object and origin (read-only): a scan reads each report twice (its host packages,
 * scan/host-packages.ts, then the agents' summary, cluster.ts), and a watched ConfigMap stays the same object
 * until it changes.
 */
const decoded = new WeakMap<ConfigMap, { origin: string; result: DecodedNodeReport }>();

/** Parses and validates one node report ConfigMap; `origin` is where it was read (API URL or file). */
export function decodeNodeReport(configMap: ConfigMap, origin: string): DecodedNodeReport {
  const known = decoded.get(configMap);
  if (known !== undefined && known.origin === origin) return known.result;
  const result = decodeOnce(configMap, origin);
  decoded.set(configMap, { origin, result });
  return result;
}

function decodeOnce(configMap: ConfigMap, origin: string): DecodedNodeReport {
  const name = `${configMap.metadata.namespace ?? ''}/${configMap.metadata.name}`;
  const bad = (what: string, hint = 'The agent rewrites it after its next run; if it persists, check the agent\u2019s logs, or delete the ConfigMap.'): DecodedNodeReport => ({
    ok: false,
    configMap: name,
    issue: issue('node-report-malformed', `Node report ConfigMap ${name} ${what}; it was ignored`, origin, hint),
  });
  const text = configMap.data?.[NODE_REPORT_DATA_KEY];
  if (text === undefined || text === '') return bad(`has no "${NODE_REPORT_DATA_KEY}" key`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return bad(`holds invalid JSON in "${NODE_REPORT_DATA_KEY}" (${errorMessage(error)})`);
  }
  const envelope = value as { schemaVersion?: unknown; kind?: unknown; tool?: { version?: unknown } } | null;
  if (typeof envelope === 'object' && envelope !== null && envelope.kind === NODE_REPORT_KIND && typeof envelope.schemaVersion === 'number' && envelope.schemaVersion !== NODE_REPORT_SCHEMA_VERSION) {
    const by = typeof envelope.tool?.version === 'string' ? `runwarden ${envelope.tool.version}` : 'another runwarden';
    return {
      ok: false,
      configMap: name,
      issue: issue(
        'node-report-version',
        `Node report ConfigMap ${name} has schema version ${envelope.schemaVersion} (written by ${by}); this runwarden reads version ${NODE_REPORT_SCHEMA_VERSION}, so it was ignored`,
        origin,
        'Run the same runwarden version in the scanner and the node agents.',
      ),
    };
  }
  const parsed = NodeReport.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const at = (first?.path ?? []).map(String).join('.');
    return bad(`is not a runwarden node report (${at === '' ? '' : `${at}: `}${first?.message ?? 'invalid'})`);
  }
  const expected = nodeReportName(parsed.data.node);
  if (configMap.metadata.name !== expected) {
    return bad(`claims node "${parsed.data.node}", whose report is named ${expected}`, 'Each agent writes only its own node\u2019s ConfigMap: delete this one, and check who wrote it.');
  }
  return { ok: true, report: parsed.data, configMap: name };
}
