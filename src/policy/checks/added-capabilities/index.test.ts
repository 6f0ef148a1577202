import { describe, expect, it } from 'vitest';
import { container, ctx, deployment, inv } from '../../../../test/workloads.js';
import { addedCapabilities, normalizeCapability } from './index.js';

const caps = (add: string[], drop?: string[]): Record<string, unknown> => container({ name: add.join('-').toLowerCase() || 'none', securityContext: { capabilities: { add, ...(drop === undefined ? {} : { drop }) } } });

describe('added-capabilities', () => {
  it('rates dangerous capabilities high, NET_RAW and others medium, runtime defaults low, and ignores NET_BIND_SERVICE', () => {
    const findings = addedCapabilities.run(inv([deployment('w', { containers: [caps(['SYS_ADMIN', 'CHOWN']), caps(['NET_RAW']), caps(['IPC_LOCK']), caps(['CHOWN']), caps(['NET_BIND_SERVICE'], ['ALL'])] })]), ctx).findings;
    expect(findings.map((f) => [f.subject.container, f.severity, f.evidence.capabilities])).toEqual([
      ['sys_admin-chown', 'high', ['CHOWN', 'SYS_ADMIN']],
      ['net_raw', 'medium', ['NET_RAW']],
      ['ipc_lock', 'medium', ['IPC_LOCK']],
      ['chown', 'low', ['CHOWN']],
    ]);
    expect(findings[0]).toMatchObject({ title: 'Container sys_admin-chown of Deployment w adds capabilities CHOWN, SYS_ADMIN', evidence: { dangerous: ['SYS_ADMIN'], fields: ['spec.template.spec.containers[0].securityContext.capabilities.add'] } });
  });

  it('normalises case and the CAP_ prefix, as the runtime does', () => {
    expect(normalizeCapability('cap_sys_admin')).toBe('SYS_ADMIN');
    const findings = addedCapabilities.run(inv([deployment('w', { containers: [caps(['cap_net_admin'])] })]), ctx).findings;
    expect(findings[0]?.severity).toBe('high');
  });

  it('reports nothing for containers that only drop', () => {
    expect(addedCapabilities.run(inv([deployment('w', { containers: [container({ securityContext: { capabilities: { drop: ['ALL'] } } })] })]), ctx).findings).toEqual([]);
  });
});
