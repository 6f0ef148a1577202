import { describe, expect, it } from 'vitest';
import { auditEvent, traceEvents } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import { nodeportServiceCreated } from './index.js';

const detector = (): Detector => new Detector({}, [nodeportServiceCreated]);

const traceFindings = (file: string) => {
  const d = detector();
  return traceEvents(file).flatMap((e) => d.push(e));
};

const serviceCreate = (spec: Record<string, unknown>, overrides: Record<string, unknown> = {}) =>
  auditEvent({
    verb: 'create',
    requestURI: '/api/v1/namespaces/shop/services',
    objectRef: { resource: 'services', namespace: 'shop', name: 'db', apiVersion: 'v1' },
    requestObject: { kind: 'Service', apiVersion: 'v1', metadata: { name: 'db', namespace: 'shop' }, spec },
    ...overrides,
  });

describe('nodeport-service-created', () => {
  it('detects the upstream NodePort service trace', () => {
    const [finding, ...rest] = traceFindings('create_nginx_service_nodeport.json');
    expect(rest).toEqual([]);
    expect(finding?.rule).toBe('nodeport-service-created');
    expect(finding?.severity).toBe('medium');
    expect(finding?.title).toBe('NodePort service default/nginx created (node port 30080/TCP) by minikube-user');
    expect(finding?.evidence['ports']).toEqual([{ port: 80, nodePort: 30080, protocol: 'TCP' }]);
    expect(finding?.subject).toEqual({ type: 'namespace', namespace: 'default' });
  });

  it('ignores the upstream ClusterIP service trace', () => {
    expect(traceFindings('create_nginx_service_nonodeport.json')).toEqual([]);
  });

  it('takes a node port left to the cluster from the response, or says null', () => {
    const spec = { type: 'NodePort', ports: [{ port: 5432 }, { port: 53, protocol: 'UDP' }] };
    const response = { kind: 'Service', spec: { type: 'NodePort', ports: [{ port: 5432, protocol: 'TCP', nodePort: 31001 }, { port: 53, protocol: 'UDP', nodePort: 31002 }] } };
    const [withResponse] = detector().push(serviceCreate(spec, { responseObject: response }));
    expect(withResponse?.evidence['ports']).toEqual([
      { port: 5432, nodePort: 31001, protocol: 'TCP' },
      { port: 53, nodePort: 31002, protocol: 'UDP' },
    ]);
    expect(withResponse?.title).toBe('NodePort service shop/db created (node ports 31001/TCP, 31002/UDP) by alice');
    const [without] = detector().push(serviceCreate(spec));
    expect(without?.evidence['ports']).toEqual([
      { port: 5432, nodePort: null, protocol: 'TCP' },
      { port: 53, nodePort: null, protocol: 'UDP' },
    ]);
    expect(without?.title).toBe('NodePort service shop/db created by alice');
  });

  it('ignores other service types, an update to NodePort and a refused create', () => {
    const d = detector();
    expect(d.push(serviceCreate({ type: 'LoadBalancer', ports: [{ port: 443 }] }))).toEqual([]);
    expect(d.push(serviceCreate({ ports: [{ port: 443 }] }))).toEqual([]);
    expect(d.push(serviceCreate({ type: 'NodePort', ports: [{ port: 443 }] }, { verb: 'update' }))).toEqual([]);
    expect(d.push(serviceCreate({ type: 'NodePort', ports: [{ port: 443 }] }, { responseStatus: { code: 422 } }))).toEqual([]);
    expect(d.push(serviceCreate({ type: 'NodePort', ports: [{ port: 443 }] }))).toHaveLength(1);
  });
});
