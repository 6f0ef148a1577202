import { describe, expect, it } from 'vitest';
import { auditEvent, traceEvents } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import { configmapCredentials } from './index.js';

const detector = (): Detector => new Detector({}, [configmapCredentials]);

const traceFindings = (file: string) => {
  const d = detector();
  return traceEvents(file).flatMap((e) => d.push(e));
};

const configMapWrite = (body: unknown, overrides: Record<string, unknown> = {}) =>
  auditEvent({
    verb: 'create',
    requestURI: '/api/v1/namespaces/shop/configmaps',
    objectRef: { resource: 'configmaps', namespace: 'shop', name: 'app', apiVersion: 'v1' },
    requestObject: body,
    ...overrides,
  });

const SECRET = 'hunter2-S3cr3t-value';
const PEM = `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA${SECRET}\n-----END OPENSSH PRIVATE KEY-----\n`;

describe('configmap-credentials', () => {
  it('detects each of the six upstream configmaps with credentials, naming the key and the patterns', () => {
    const findings = traceFindings('create_configmap_sensitive_values.json');
    expect(findings).toHaveLength(6);
    expect(findings[0]?.rule).toBe('configmap-credentials');
    expect(findings[0]?.severity).toBe('medium');
    expect(findings[0]?.title).toBe('ConfigMap default/my-config created with what looks like credentials (key access.properties) by minikube-user');
    expect(findings.map((f) => f.evidence['matches'])).toEqual([
      [{ key: 'access.properties', field: 'data', patterns: ['aws-access-key-id', 'aws-secret-access-key'] }],
      [{ key: 'access.properties', field: 'data', patterns: ['aws-access-key-id', 'aws-secret-access-key'] }],
      [{ key: 'access.properties', field: 'data', patterns: ['aws-access-key-id', 'aws-secret-access-key'] }],
      [{ key: 'access.properties', field: 'data', patterns: ['aws-access-key-id', 'aws-secret-access-key'] }],
      [{ key: 'access.properties', field: 'data', patterns: ['aws-secret-access-key', 'password'] }],
      [{ key: 'access.properties', field: 'data', patterns: ['aws-secret-access-key', 'passphrase'] }],
    ]);
    for (const f of findings) expect(JSON.stringify(f)).not.toMatch(/MY-ID|MY-KEY/);
  });

  it('ignores the upstream configmaps without credentials', () => {
    expect(traceFindings('create_configmap_no_sensitive_values.json')).toEqual([]);
    expect(traceFindings('create_configmap.json')).toEqual([]);
  });

  it('matches key names and values case-insensitively, and PEM private keys in data and base64 binaryData', () => {
    const [finding] = detector().push(
      configMapWrite({
        kind: 'ConfigMap',
        data: { DB_PASSWORD: SECRET, 'settings.ini': 'log_level=info\n', 'id_ed25519': PEM, 'AWS_S3_ACCESS_KEY_ID': 'AKIAEXAMPLE' },
        binaryData: { 'tls.bin': Buffer.from(`-----BEGIN RSA PRIVATE KEY-----\n${SECRET}\n-----END RSA PRIVATE KEY-----`).toString('base64') },
      }),
    );
    expect(finding?.evidence['keys']).toEqual(['DB_PASSWORD', 'id_ed25519', 'AWS_S3_ACCESS_KEY_ID', 'tls.bin']);
    expect(finding?.evidence['matches']).toEqual([
      { key: 'DB_PASSWORD', field: 'data', patterns: ['password'] },
      { key: 'id_ed25519', field: 'data', patterns: ['private-key'] },
      { key: 'AWS_S3_ACCESS_KEY_ID', field: 'data', patterns: ['aws-access-key-id'] },
      { key: 'tls.bin', field: 'binaryData', patterns: ['private-key'] },
    ]);
  });

  it('never puts a value into the title or evidence', () => {
    const [finding] = detector().push(configMapWrite({ data: { password: SECRET, key: PEM, note: `passphrase is ${SECRET}` } }));
    expect(finding).toBeDefined();
    const text = JSON.stringify(finding);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('b3BlbnNzaC1rZXktdjEAAAAA');
    expect(text).not.toContain('BEGIN');
  });

  it('detects an update and a merge or JSON patch that writes credentials', () => {
    const d = detector();
    const [update] = d.push(configMapWrite({ kind: 'ConfigMap', data: { 'app.conf': `admin_password=${SECRET}` } }, { verb: 'update' }));
    expect(update?.title).toBe('ConfigMap shop/app changed with what looks like credentials (key app.conf) by alice');
    const [merge] = d.push(configMapWrite({ data: { passphrase: SECRET } }, { verb: 'patch' }));
    expect(merge?.evidence['keys']).toEqual(['passphrase']);
    const [jsonPatch] = d.push(configMapWrite([{ op: 'add', path: '/data/creds~1aws', value: `aws_secret_access_key=${SECRET}` }, { op: 'replace', path: '/data', value: { other: 'password: x' } }], { verb: 'patch' }));
    expect(jsonPatch?.evidence['matches']).toEqual([
      { key: 'creds/aws', field: 'data', patterns: ['aws-secret-access-key'] },
      { key: 'other', field: 'data', patterns: ['password'] },
    ]);
  });

  it('ignores a read, a delete, a refused write, a Secret and a public key', () => {
    const d = detector();
    const body = { data: { password: SECRET } };
    expect(d.push(configMapWrite(body, { verb: 'get' }))).toEqual([]);
    expect(d.push(configMapWrite(body, { verb: 'delete' }))).toEqual([]);
    expect(d.push(configMapWrite(body, { responseStatus: { code: 403 } }))).toEqual([]);
    expect(d.push(configMapWrite(body, { objectRef: { resource: 'secrets', namespace: 'shop', name: 'app' } }))).toEqual([]);
    expect(d.push(configMapWrite({ data: { 'ca.pem': '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----' } }))).toEqual([]);
    expect(d.push(configMapWrite(body))).toHaveLength(1);
  });
});
