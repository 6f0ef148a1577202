import { asRecord, requestObject, target, type AuditEvent } from '../../event.js';
import type { AuditRule, RuleMatch } from '../../rule.js';

const VERBS = new Set(['create', 'update', 'patch']);

/** What a credential looks like, by name; matched case-insensitively against each key and each value. */
const PATTERNS: ReadonlyArray<{ name: string; re: RegExp }> = [
  { name: 'aws-access-key-id', re: /aws[_-](?:s3[_-])?access[_-]key[_-]id/i },
  { name: 'aws-secret-access-key', re: /aws[_-]secret[_-]access[_-]key/i },
  { name: 'password', re: /password/i },
  { name: 'passphrase', re: /passphrase/i },
  { name: 'private-key', re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/i },
];

export interface CredentialMatch {
  key: string;
  field: 'data' | 'binaryData';
  /** The names of the patterns found in the key or its value; never the value. */
  patterns: string[];
}

/** `data` and `binaryData` of the body: a ConfigMap or a merge patch, or what a JSON patch (RFC 6902) writes under them. */
function entries(event: AuditEvent): Array<{ field: 'data' | 'binaryData'; key: string; value: unknown }> {
  const out: Array<{ field: 'data' | 'binaryData'; key: string; value: unknown }> = [];
  const body = requestObject(event);
  for (const field of ['data', 'binaryData'] as const) {
    for (const [key, value] of Object.entries(asRecord(body?.[field]) ?? {})) out.push({ field, key, value });
  }
  if (Array.isArray(event.requestObject)) {
    for (const item of event.requestObject as unknown[]) {
      const op = asRecord(item);
      const path = op?.['path'];
      if (op === undefined || typeof path !== 'string') continue;
      const m = /^\/(data|binaryData)(?:\/(.+))?$/.exec(path);
      if (m === null) continue;
      const field = m[1] as 'data' | 'binaryData';
      if (m[2] === undefined) {
        for (const [key, value] of Object.entries(asRecord(op['value']) ?? {})) out.push({ field, key, value });
      } else {
        out.push({ field, key: m[2].replace(/~1/g, '/').replace(/~0/g, '~'), value: op['value'] });
      }
    }
  }
  return out;
}

/** The keys of the request's ConfigMap whose name or value looks like a credential, with the patterns found. */
export function credentialMatches(event: AuditEvent): CredentialMatch[] {
  const out: CredentialMatch[] = [];
  for (const { field, key, value } of entries(event)) {
    let text = typeof value === 'string' ? value : '';
    // binaryData values are base64
    if (field === 'binaryData' && text !== '') text = Buffer.from(text, 'base64').toString('latin1');
    const patterns = PATTERNS.filter((p) => p.re.test(key) || p.re.test(text)).map((p) => p.name);
    if (patterns.length === 0) continue;
    const seen = out.find((m) => m.key === key && m.field === field);
    if (seen === undefined) out.push({ key, field, patterns });
    else seen.patterns = [...new Set([...seen.patterns, ...patterns])];
  }
  return out;
}

function evaluate(event: AuditEvent): RuleMatch | undefined {
  const t = target(event);
  if (t.resource !== 'configmaps' || t.subresource !== '' || !VERBS.has(event.verb)) return undefined;
  const matches = credentialMatches(event);
  if (matches.length === 0) return undefined;
  const keys = [...new Set(matches.map((m) => m.key))];
  const what = t.namespace === '' ? t.name : `${t.namespace}/${t.name}`;
  return {
    title: `ConfigMap ${what} ${event.verb === 'create' ? 'created' : 'changed'} with what looks like credentials (key${keys.length === 1 ? '' : 's'} ${keys.join(', ')})`,
    evidence: { keys, matches },
  };
}

export const configmapCredentials: AuditRule = {
  id: 'configmap-credentials',
  title: 'A ConfigMap was written with what looks like credentials',
  severity: 'medium',
  description:
    'ConfigMaps are not meant for secrets: they are readable by far more identities than Secrets (many roles grant get on configmaps), are not encrypted at rest by the usual EncryptionConfiguration, and end up in logs, dumps and Git. A create, update or patch is reported when a key of `data` or `binaryData`, or its value, holds an AWS access key id or secret access key name, "password", "passphrase" or a PEM private key block (case-insensitive). The evidence names the keys and patterns, never the values. Words in the metadata (name, labels, annotations) are left out, and a value that only mentions a password setting is reported too.',
  remediation: 'Move the credential to a Secret (or an external secret store), rotate it since it was readable by everyone allowed to read ConfigMaps in the namespace, and reference the Secret from the workload.',
  falco: ['Create/Modify Configmap With Private Credentials'],
  evaluate,
};
