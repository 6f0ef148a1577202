/**
 * The Pod Security Standards controls, one entry per upstream check ID of
 * k8s.io/pod-security-admission/policy (check_*.go), with the policy version each revision starts
 * at and the baseline checks a restricted revision overrides (OverrideCheckIDs). Written from the
 * upstream rules and the published standard (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
 * verified against upstream's own fixtures (testdata/upstream/pod-security-admission).
 *
 * Each control returns the violated fields as pod-relative paths, in the form PSA's field errors use.
 */
import type { ContainerView, PodSpecView, SecurityContext } from './schema.js';

export type ControlLevel = 'baseline' | 'restricted';

export interface ControlResult {
  /** Upstream ForbiddenReason, e.g. `host namespaces`. */
  reason: string;
  /** Upstream-style ForbiddenDetail, e.g. `hostNetwork, hostPID`. */
  detail: string;
  /** Offending fields, pod-relative: `spec.containers[0].securityContext.runAsNonRoot`. */
  fields: string[];
}

export type ControlFn = (pod: PodSpecView) => ControlResult | undefined;

export interface ControlRevision {
  /** First policy minor version (v1.<minor>) this revision applies to. */
  minVersion: number;
  check: ControlFn;
  /** Baseline controls replaced by this revision at the restricted level. */
  overrides?: readonly string[];
}

export interface Control {
  /** Upstream check ID, e.g. `runAsNonRoot`. */
  id: string;
  level: ControlLevel;
  /** The standard's name for the control (docs table). */
  title: string;
  revisions: readonly ControlRevision[];
}

// ---------------------------------------------------------------------------------------------
// helpers (helpers.go: joinQuote, pluralize)

function joinQuote(items: readonly string[]): string {
  return items.length === 0 ? '' : `"${items.join('", "')}"`;
}
function plural(singular: string, pluralForm: string, n: number): string {
  return n === 1 ? singular : pluralForm;
}
function sortedUnique(items: Iterable<string>): string[] {
  return [...new Set(items)].sort();
}
function sc(c: ContainerView): SecurityContext | undefined {
  return c.spec.securityContext ?? undefined;
}
/** `hostUsers: false`: the pod runs in a user namespace (KEP-127). */
function userNamespace(pod: PodSpecView): boolean {
  return pod.spec.hostUsers === false;
}

// ---------------------------------------------------------------------------------------------
// baseline

function hostNamespaces(pod: PodSpecView): ControlResult | undefined {
  const set = (['hostIPC', 'hostNetwork', 'hostPID'] as const).filter((k) => pod.spec[k] === true);
  if (set.length === 0) return undefined;
  return { reason: 'host namespaces', detail: set.join(', '), fields: set.map((k) => `spec.${k}`) };
}

function privileged(pod: PodSpecView): ControlResult | undefined {
  const bad = pod.containers.filter((c) => sc(c)?.privileged === true);
  if (bad.length === 0) return undefined;
  return {
    reason: 'privileged',
    detail: `${plural('container', 'containers', bad.length)} ${joinQuote(bad.map((c) => c.name))} must not set securityContext.privileged=true`,
    fields: bad.map((c) => `${c.path}.securityContext.privileged`),
  };
}

/** The container runtime's default capability set (check_capabilities_baseline.go). */
export const BASELINE_CAPABILITIES: ReadonlySet<string> = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

function capabilitiesBaseline(pod: PodSpecView): ControlResult | undefined {
  const bad: ContainerView[] = [];
  const caps = new Set<string>();
  for (const c of pod.containers) {
    const added = (sc(c)?.capabilities?.add ?? []).filter((x): x is string => x !== null);
    const forbidden = added.filter((x) => !BASELINE_CAPABILITIES.has(x));
    if (forbidden.length > 0) {
      bad.push(c);
      for (const x of forbidden) caps.add(x);
    }
  }
  if (bad.length === 0) return undefined;
  return {
    reason: 'non-default capabilities',
    detail: `${plural('container', 'containers', bad.length)} ${joinQuote(bad.map((c) => c.name))} must not include ${joinQuote(sortedUnique(caps))} in securityContext.capabilities.add`,
    fields: bad.map((c) => `${c.path}.securityContext.capabilities.add`),
  };
}

function hostPathVolumes(pod: PodSpecView): ControlResult | undefined {
  const bad = pod.volumes.filter((v) => v.hostPath !== undefined);
  if (bad.length === 0) return undefined;
  return { reason: 'hostPath volumes', detail: `${plural('volume', 'volumes', bad.length)} ${joinQuote(bad.map((v) => v.name))}`, fields: bad.map((v) => `${v.path}.hostPath`) };
}

function hostPorts(pod: PodSpecView): ControlResult | undefined {
  const bad = new Set<string>();
  const ports = new Set<string>();
  const fields: string[] = [];
  for (const c of pod.containers) {
    (c.spec.ports ?? []).forEach((p, i) => {
      if (p === null || p.hostPort == null || p.hostPort === 0) return;
      bad.add(c.name);
      ports.add(String(p.hostPort));
      fields.push(`${c.path}.ports[${i}].hostPort`);
    });
  }
  if (bad.size === 0) return undefined;
  return {
    reason: 'hostPort',
    detail: `${plural('container', 'containers', bad.size)} ${joinQuote([...bad])} ${plural('uses', 'use', bad.size)} ${plural('hostPort', 'hostPorts', ports.size)} ${sortedUnique(ports).join(', ')}`,
    fields,
  };
}

const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';
function appArmorAnnotationAllowed(value: string): boolean {
  return value === '' || value === 'runtime/default' || value.startsWith('localhost/');
}
function appArmorTypeAllowed(type: string | null | undefined): boolean {
  return type === 'RuntimeDefault' || type === 'Localhost';
}

function appArmorProfile(pod: PodSpecView): ControlResult | undefined {
  const bad: string[] = [];
  const fields: string[] = [];
  const podType = pod.spec.securityContext?.appArmorProfile;
  if (podType != null && !appArmorTypeAllowed(podType.type)) {
    bad.push(`pod must not set AppArmor profile type to "${podType.type ?? ''}"`);
    fields.push('spec.securityContext.appArmorProfile.type');
  }
  for (const c of pod.containers) {
    const profile = sc(c)?.appArmorProfile;
    if (profile != null && !appArmorTypeAllowed(profile.type)) {
      bad.push(`container "${c.name}" must not set AppArmor profile type to "${profile.type ?? ''}"`);
      fields.push(`${c.path}.securityContext.appArmorProfile.type`);
    }
  }
  const annotations = Object.entries(pod.annotations)
    .filter(([k, v]) => k.startsWith(APPARMOR_ANNOTATION) && !appArmorAnnotationAllowed(v))
    .sort((a, b) => a[0].localeCompare(b[0]));
  for (const [k, v] of annotations) {
    bad.push(`${k}="${v}"`);
    fields.push(`metadata.annotations[${k}]`);
  }
  if (bad.length === 0) return undefined;
  return { reason: plural('forbidden AppArmor profile', 'forbidden AppArmor profiles', bad.length), detail: bad.join(', '), fields };
}

const SELINUX_TYPES_1_0 = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const SELINUX_TYPES_1_31 = new Set([...SELINUX_TYPES_1_0, 'container_engine_t']);

function seLinuxOptions(allowedTypes: ReadonlySet<string>): (pod: PodSpecView) => ControlResult | undefined {
  return (pod) => {
    const setters: string[] = [];
    const badContainers: string[] = [];
    const badTypes = new Set<string>();
    const fields: string[] = [];
    let setUser = false;
    let setRole = false;
    const inspect = (opts: { type?: string | null | undefined; user?: string | null | undefined; role?: string | null | undefined } | null | undefined, path: string): boolean => {
      if (opts == null) return true;
      let valid = true;
      if (!allowedTypes.has(opts.type ?? '')) {
        valid = false;
        badTypes.add(opts.type ?? '');
        fields.push(`${path}.type`);
      }
      if ((opts.user ?? '') !== '') {
        valid = false;
        setUser = true;
        fields.push(`${path}.user`);
      }
      if ((opts.role ?? '') !== '') {
        valid = false;
        setRole = true;
        fields.push(`${path}.role`);
      }
      return valid;
    };
    if (!inspect(pod.spec.securityContext?.seLinuxOptions, 'spec.securityContext.seLinuxOptions')) setters.push('pod');
    for (const c of pod.containers) if (!inspect(sc(c)?.seLinuxOptions, `${c.path}.securityContext.seLinuxOptions`)) badContainers.push(c.name);
    if (badContainers.length > 0) setters.push(`${plural('container', 'containers', badContainers.length)} ${joinQuote(badContainers)}`);
    if (setters.length === 0) return undefined;
    const data: string[] = [];
    if (badTypes.size > 0) data.push(`${plural('type', 'types', badTypes.size)} ${joinQuote(sortedUnique(badTypes))}`);
    if (setUser) data.push('user may not be set');
    if (setRole) data.push('role may not be set');
    return { reason: 'seLinuxOptions', detail: `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}`, fields };
  };
}

/** Unconditional procMount check (procMount_1_0): only `Default` or unset. */
function procMountStrict(pod: PodSpecView): ControlResult | undefined {
  const bad = pod.containers.filter((c) => {
    const value = sc(c)?.procMount;
    return value != null && value !== 'Default';
  });
  if (bad.length === 0) return undefined;
  const types = sortedUnique(bad.map((c) => sc(c)?.procMount ?? ''));
  return {
    reason: 'procMount',
    detail: `${plural('container', 'containers', bad.length)} ${joinQuote(bad.map((c) => c.name))} must not set securityContext.procMount to ${joinQuote(types)}`,
    fields: bad.map((c) => `${c.path}.securityContext.procMount`),
  };
}

/** v1.35 baseline: any procMount is allowed in a user namespace (hostUsers: false). */
function procMountBaseline135(pod: PodSpecView): ControlResult | undefined {
  return userNamespace(pod) ? undefined : procMountStrict(pod);
}

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION = 'container.seccomp.security.alpha.kubernetes.io/';
function seccompAnnotationAllowed(value: string): boolean {
  return value === 'runtime/default' || value === 'docker/default' || value.startsWith('localhost/');
}
function seccompTypeAllowed(type: string | null | undefined): boolean {
  return type === 'RuntimeDefault' || type === 'Localhost';
}

/** v1.0–v1.18: the alpha seccomp annotations. */
function seccompBaselineAnnotations(pod: PodSpecView): ControlResult | undefined {
  const forbidden: Array<[string, string]> = [];
  const podValue = pod.annotations[SECCOMP_POD_ANNOTATION];
  if (podValue !== undefined && !seccompAnnotationAllowed(podValue)) forbidden.push([SECCOMP_POD_ANNOTATION, podValue]);
  for (const c of pod.containers) {
    const key = SECCOMP_CONTAINER_ANNOTATION + c.name;
    const value = pod.annotations[key];
    if (value !== undefined && !seccompAnnotationAllowed(value)) forbidden.push([key, value]);
  }
  if (forbidden.length === 0) return undefined;
  const unique = new Map(forbidden);
  const items = [...unique.entries()].map(([k, v]) => `${k}="${v}"`).sort();
  return { reason: 'seccompProfile', detail: `forbidden ${plural('annotation', 'annotations', unique.size)} ${items.join(', ')}`, fields: [...unique.keys()].map((k) => `metadata.annotations[${k}]`) };
}

/** v1.19+: explicit seccompProfile.type values must be RuntimeDefault or Localhost. */
function seccompBaselineFields(pod: PodSpecView): ControlResult | undefined {
  const setters: string[] = [];
  const values = new Set<string>();
  const fields: string[] = [];
  const podProfile = pod.spec.securityContext?.seccompProfile;
  if (podProfile != null && !seccompTypeAllowed(podProfile.type)) {
    setters.push('pod');
    values.add(podProfile.type ?? '');
    fields.push('spec.securityContext.seccompProfile.type');
  }
  const badContainers: string[] = [];
  for (const c of pod.containers) {
    const profile = sc(c)?.seccompProfile;
    if (profile != null && !seccompTypeAllowed(profile.type)) {
      badContainers.push(c.name);
      values.add(profile.type ?? '');
      fields.push(`${c.path}.securityContext.seccompProfile.type`);
    }
  }
  if (badContainers.length > 0) setters.push(`${plural('container', 'containers', badContainers.length)} ${joinQuote(badContainers)}`);
  if (setters.length === 0) return undefined;
  return { reason: 'seccompProfile', detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedUnique(values))}`, fields };
}

const SYSCTLS_1_0 = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start'];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports'];
const SYSCTLS_1_29 = [...SYSCTLS_1_27, 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
const SYSCTLS_1_32 = [...SYSCTLS_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];
const SYSCTLS_1_37 = [...SYSCTLS_1_32, 'net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat'];

/** The safe sysctls at a policy version (exported for docs and tests). */
export function safeSysctls(minor: number): readonly string[] {
  if (minor >= 37) return SYSCTLS_1_37;
  if (minor >= 32) return SYSCTLS_1_32;
  if (minor >= 29) return SYSCTLS_1_29;
  if (minor >= 27) return SYSCTLS_1_27;
  return SYSCTLS_1_0;
}

function sysctls(allowed: readonly string[]): (pod: PodSpecView) => ControlResult | undefined {
  const set = new Set(allowed);
  return (pod) => {
    const names: string[] = [];
    const fields: string[] = [];
    (pod.spec.securityContext?.sysctls ?? []).forEach((s, i) => {
      if (s === null || set.has(s.name)) return;
      names.push(s.name);
      fields.push(`spec.securityContext.sysctls[${i}].name`);
    });
    if (names.length === 0) return undefined;
    return { reason: 'forbidden sysctls', detail: names.join(', '), fields };
  };
}

function windowsHostProcess(pod: PodSpecView): ControlResult | undefined {
  const setters: string[] = [];
  const fields: string[] = [];
  if (pod.spec.securityContext?.windowsOptions?.hostProcess === true) {
    setters.push('pod');
    fields.push('spec.securityContext.windowsOptions.hostProcess');
  }
  const bad = pod.containers.filter((c) => sc(c)?.windowsOptions?.hostProcess === true);
  if (bad.length > 0) {
    setters.push(`${plural('container', 'containers', bad.length)} ${joinQuote(bad.map((c) => c.name))}`);
    for (const c of bad) fields.push(`${c.path}.securityContext.windowsOptions.hostProcess`);
  }
  if (setters.length === 0) return undefined;
  return { reason: 'hostProcess', detail: `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`, fields };
}

function hostProbesAndHostLifecycle(pod: PodSpecView): ControlResult | undefined {
  const containers = new Set<string>();
  const hosts = new Set<string>();
  const fields: string[] = [];
  for (const c of pod.containers) {
    const handlers: Array<[string, { httpGet?: { host?: string | null | undefined } | null | undefined; tcpSocket?: { host?: string | null | undefined } | null | undefined } | null | undefined]> = [
      ['livenessProbe', c.spec.livenessProbe],
      ['readinessProbe', c.spec.readinessProbe],
      ['startupProbe', c.spec.startupProbe],
      ['lifecycle.postStart', c.spec.lifecycle?.postStart],
      ['lifecycle.preStop', c.spec.lifecycle?.preStop],
    ];
    for (const [name, handler] of handlers) {
      if (handler == null) continue;
      for (const action of ['httpGet', 'tcpSocket'] as const) {
        const host = handler[action]?.host;
        if (host == null || host === '') continue;
        containers.add(c.name);
        hosts.add(host);
        fields.push(`${c.path}.${name}.${action}.host`);
      }
    }
  }
  if (containers.size === 0) return undefined;
  return {
    reason: 'probe or lifecycle host',
    detail: `${plural('container', 'containers', containers.size)} ${joinQuote(sortedUnique(containers))} ${plural('uses', 'use', containers.size)} ${plural('probe or lifecycle host', 'probe or lifecycle hosts', hosts.size)} ${joinQuote(sortedUnique(hosts))}`,
    fields,
  };
}

// ---------------------------------------------------------------------------------------------
// restricted

/** Volume sources the restricted level allows (check_restrictedVolumes.go; `image` since 2025, at every version). */
export const RESTRICTED_VOLUME_SOURCES: ReadonlySet<string> = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret']);

function restrictedVolumes(pod: PodSpecView): ControlResult | undefined {
  const bad = pod.volumes.filter((v) => !RESTRICTED_VOLUME_SOURCES.has(v.source));
  if (bad.length === 0) return undefined;
  const types = sortedUnique(bad.map((v) => v.source));
  return {
    reason: 'restricted volume types',
    detail: `${plural('volume', 'volumes', bad.length)} ${joinQuote(bad.map((v) => v.name))} ${plural('uses', 'use', bad.length)} ${plural('restricted volume type', 'restricted volume types', types.length)} ${joinQuote(types)}`,
    fields: bad.map((v) => `${v.path}.${v.source}`),
  };
}

function allowPrivilegeEscalation(pod: PodSpecView): ControlResult | undefined {
  const bad = pod.containers.filter((c) => sc(c)?.allowPrivilegeEscalation !== false);
  if (bad.length === 0) return undefined;
  return {
    reason: 'allowPrivilegeEscalation != false',
    detail: `${plural('container', 'containers', bad.length)} ${joinQuote(bad.map((c) => c.name))} must set securityContext.allowPrivilegeEscalation=false`,
    fields: bad.map((c) => `${c.path}.securityContext.allowPrivilegeEscalation`),
  };
}

/** From v1.25, Windows pods are exempt from checks for fields Windows does not support. */
function exemptWindows(check: (pod: PodSpecView) => ControlResult | undefined): (pod: PodSpecView) => ControlResult | undefined {
  return (pod) => (pod.windows ? undefined : check(pod));
}
/** From v1.35, pods in a user namespace are exempt (KEP-127). */
function exemptUserNamespace(check: (pod: PodSpecView) => ControlResult | undefined): (pod: PodSpecView) => ControlResult | undefined {
  return (pod) => (userNamespace(pod) ? undefined : check(pod));
}

function runAsNonRoot(pod: PodSpecView): ControlResult | undefined {
  const setters: string[] = [];
  const explicitFields: string[] = [];
  let podNonRoot = false;
  const podValue = pod.spec.securityContext?.runAsNonRoot;
  if (podValue != null) {
    if (!podValue) {
      setters.push('pod');
      explicitFields.push('spec.securityContext.runAsNonRoot');
    } else podNonRoot = true;
  }
  const explicit: ContainerView[] = [];
  const implicit: ContainerView[] = [];
  for (const c of pod.containers) {
    const value = sc(c)?.runAsNonRoot;
    if (value != null) {
      if (!value) explicit.push(c);
    } else if (!podNonRoot) implicit.push(c);
  }
  if (explicit.length > 0) {
    setters.push(`${plural('container', 'containers', explicit.length)} ${joinQuote(explicit.map((c) => c.name))}`);
    for (const c of explicit) explicitFields.push(`${c.path}.securityContext.runAsNonRoot`);
  }
  if (setters.length > 0) return { reason: 'runAsNonRoot != true', detail: `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`, fields: explicitFields };
  if (implicit.length > 0) {
    return {
      reason: 'runAsNonRoot != true',
      detail: `pod or ${plural('container', 'containers', implicit.length)} ${joinQuote(implicit.map((c) => c.name))} must set securityContext.runAsNonRoot=true`,
      fields: implicit.map((c) => `${c.path}.securityContext.runAsNonRoot`),
    };
  }
  return undefined;
}

function runAsUser(pod: PodSpecView): ControlResult | undefined {
  const setters: string[] = [];
  const fields: string[] = [];
  if (pod.spec.securityContext?.runAsUser === 0) {
    setters.push('pod');
    fields.push('spec.securityContext.runAsUser');
  }
  const bad = pod.containers.filter((c) => sc(c)?.runAsUser === 0);
  if (bad.length > 0) {
    setters.push(`${plural('container', 'containers', bad.length)} ${joinQuote(bad.map((c) => c.name))}`);
    for (const c of bad) fields.push(`${c.path}.securityContext.runAsUser`);
  }
  if (setters.length === 0) return undefined;
  return { reason: 'runAsUser=0', detail: `${setters.join(' and ')} must not set runAsUser=0`, fields };
}

function seccompRestricted(pod: PodSpecView): ControlResult | undefined {
  const setters: string[] = [];
  const values = new Set<string>();
  const explicitFields: string[] = [];
  let podSet = false;
  const podProfile = pod.spec.securityContext?.seccompProfile;
  if (podProfile != null) {
    if (!seccompTypeAllowed(podProfile.type)) {
      setters.push('pod');
      values.add(podProfile.type ?? '');
      explicitFields.push('spec.securityContext.seccompProfile.type');
    } else podSet = true;
  }
  const explicit: ContainerView[] = [];
  const implicit: ContainerView[] = [];
  for (const c of pod.containers) {
    const profile = sc(c)?.seccompProfile;
    if (profile != null) {
      if (!seccompTypeAllowed(profile.type)) {
        explicit.push(c);
        values.add(profile.type ?? '');
      }
    } else if (!podSet) implicit.push(c);
  }
  if (explicit.length > 0) {
    setters.push(`${plural('container', 'containers', explicit.length)} ${joinQuote(explicit.map((c) => c.name))}`);
    for (const c of explicit) explicitFields.push(`${c.path}.securityContext.seccompProfile.type`);
  }
  if (setters.length > 0) {
    return { reason: 'seccompProfile', detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedUnique(values))}`, fields: explicitFields };
  }
  if (implicit.length > 0) {
    return {
      reason: 'seccompProfile',
      detail: `pod or ${plural('container', 'containers', implicit.length)} ${joinQuote(implicit.map((c) => c.name))} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
      fields: implicit.map((c) => `${c.path}.securityContext.seccompProfile.type`),
    };
  }
  return undefined;
}

function capabilitiesRestricted(pod: PodSpecView): ControlResult | undefined {
  const missingDrop: ContainerView[] = [];
  const adding: ContainerView[] = [];
  const forbidden = new Set<string>();
  const fields: string[] = [];
  for (const c of pod.containers) {
    const caps = sc(c)?.capabilities;
    if (caps == null) {
      missingDrop.push(c);
      fields.push(`${c.path}.securityContext.capabilities.drop`);
      continue;
    }
    if (!(caps.drop ?? []).includes('ALL')) {
      missingDrop.push(c);
      fields.push(`${c.path}.securityContext.capabilities.drop`);
    }
    const bad = (caps.add ?? []).filter((x): x is string => x !== null && x !== 'NET_BIND_SERVICE');
    if (bad.length > 0) {
      adding.push(c);
      for (const x of bad) forbidden.add(x);
      fields.push(`${c.path}.securityContext.capabilities.add`);
    }
  }
  const details: string[] = [];
  if (missingDrop.length > 0) details.push(`${plural('container', 'containers', missingDrop.length)} ${joinQuote(missingDrop.map((c) => c.name))} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length > 0) details.push(`${plural('container', 'containers', adding.length)} ${joinQuote(adding.map((c) => c.name))} must not include ${joinQuote(sortedUnique(forbidden))} in securityContext.capabilities.add`);
  if (details.length === 0) return undefined;
  return { reason: 'unrestricted capabilities', detail: details.join('; '), fields };
}

// ---------------------------------------------------------------------------------------------
// the registry, as upstream registers it

export const CONTROLS: readonly Control[] = [
  { id: 'hostNamespaces', level: 'baseline', title: 'Host Namespaces', revisions: [{ minVersion: 0, check: hostNamespaces }] },
  { id: 'privileged', level: 'baseline', title: 'Privileged Containers', revisions: [{ minVersion: 0, check: privileged }] },
  { id: 'capabilities_baseline', level: 'baseline', title: 'Capabilities', revisions: [{ minVersion: 0, check: capabilitiesBaseline }] },
  { id: 'hostPathVolumes', level: 'baseline', title: 'HostPath Volumes', revisions: [{ minVersion: 0, check: hostPathVolumes }] },
  { id: 'hostPorts', level: 'baseline', title: 'Host Ports', revisions: [{ minVersion: 0, check: hostPorts }] },
  { id: 'appArmorProfile', level: 'baseline', title: 'AppArmor', revisions: [{ minVersion: 0, check: appArmorProfile }] },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    title: 'SELinux',
    revisions: [
      { minVersion: 0, check: seLinuxOptions(SELINUX_TYPES_1_0) },
      { minVersion: 31, check: seLinuxOptions(SELINUX_TYPES_1_31) },
    ],
  },
  {
    id: 'procMount',
    level: 'baseline',
    title: '/proc Mount Type',
    revisions: [
      { minVersion: 0, check: procMountStrict },
      { minVersion: 35, check: procMountBaseline135 },
    ],
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    title: 'Seccomp',
    revisions: [
      { minVersion: 0, check: seccompBaselineAnnotations },
      { minVersion: 19, check: seccompBaselineFields },
    ],
  },
  {
    id: 'sysctls',
    level: 'baseline',
    title: 'Sysctls',
    revisions: [
      { minVersion: 0, check: sysctls(SYSCTLS_1_0) },
      { minVersion: 27, check: sysctls(SYSCTLS_1_27) },
      { minVersion: 29, check: sysctls(SYSCTLS_1_29) },
      { minVersion: 32, check: sysctls(SYSCTLS_1_32) },
      { minVersion: 37, check: sysctls(SYSCTLS_1_37) },
    ],
  },
  { id: 'windowsHostProcess', level: 'baseline', title: 'HostProcess', revisions: [{ minVersion: 0, check: windowsHostProcess }] },
  { id: 'hostProbesAndHostLifecycle', level: 'baseline', title: 'Host Probes / Lifecycle Hooks', revisions: [{ minVersion: 34, check: hostProbesAndHostLifecycle }] },
  { id: 'restrictedVolumes', level: 'restricted', title: 'Volume Types', revisions: [{ minVersion: 0, check: restrictedVolumes, overrides: ['hostPathVolumes'] }] },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    title: 'Privilege Escalation',
    revisions: [
      { minVersion: 8, check: allowPrivilegeEscalation },
      { minVersion: 25, check: exemptWindows(allowPrivilegeEscalation) },
    ],
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    title: 'Running as Non-root',
    revisions: [
      { minVersion: 0, check: runAsNonRoot },
      { minVersion: 35, check: exemptUserNamespace(runAsNonRoot) },
    ],
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    title: 'Running as Non-root user',
    revisions: [
      { minVersion: 23, check: runAsUser },
      { minVersion: 35, check: exemptUserNamespace(runAsUser) },
    ],
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    title: 'Seccomp',
    revisions: [
      { minVersion: 19, check: seccompRestricted, overrides: ['seccompProfile_baseline'] },
      { minVersion: 25, check: exemptWindows(seccompRestricted), overrides: ['seccompProfile_baseline'] },
    ],
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    title: 'Capabilities',
    revisions: [
      { minVersion: 22, check: capabilitiesRestricted, overrides: ['capabilities_baseline'] },
      { minVersion: 25, check: exemptWindows(capabilitiesRestricted), overrides: ['capabilities_baseline'] },
    ],
  },
  { id: 'procMount_restricted', level: 'restricted', title: '/proc Mount Type', revisions: [{ minVersion: 35, check: procMountStrict, overrides: ['procMount'] }] },
];

export const CONTROL_IDS: readonly string[] = CONTROLS.map((c) => c.id);
