import { describe, expect, it } from 'vitest';
import { barePod, container, ctx, deployment, inv } from '../../../../test/workloads.js';
import { privilegeEscalation } from './index.js';

describe('privilege-escalation', () => {
  it('reports the default (unset) as medium and an explicit true or privileged as high', () => {
    const findings = privilegeEscalation.run(
      inv([deployment('web', { containers: [container({ name: 'unset' }), container({ name: 'explicit', securityContext: { allowPrivilegeEscalation: true } }), container({ name: 'priv', securityContext: { privileged: true, allowPrivilegeEscalation: false } }), container({ name: 'ok', securityContext: { allowPrivilegeEscalation: false } })] })]),
      ctx,
    ).findings;
    expect(findings.map((f) => [f.subject.container, f.severity, f.evidence.fields])).toEqual([
      ['unset', 'medium', ['spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation']],
      ['explicit', 'high', ['spec.template.spec.containers[1].securityContext.allowPrivilegeEscalation']],
      ['priv', 'high', ['spec.template.spec.containers[2].securityContext.privileged']],
    ]);
  });

  it('exempts Windows pods (no_new_privs is Linux-only)', () => {
    expect(privilegeEscalation.run(inv([barePod('win', { os: { name: 'windows' } })]), ctx).findings).toEqual([]);
  });
});
