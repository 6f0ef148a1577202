/**
 * All settings in one zod schema. Precedence: defaults < config file (--config, YAML/JSON)
 * < environment (RUNWARDEN_*) < flags. Each layer is validated with the same schema, so a bad
 * value is reported with the layer it came from.
 */
import { z } from 'zod';
import { SEVERITIES } from '../core/severity.js';
import { registryEntryProblem } from '../policy/images.js';
import { parsePolicyVersion, PSS_LEVELS } from '../policy/pss/version.js';

export const FAIL_ON = [...SEVERITIES, 'none'] as const;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const Namespace = z.string().max(63).regex(DNS1123_LABEL);

/** A registry allow-list entry: `ghcr.io`, `ghcr.io/acme`, `*.dkr.ecr.*.amazonaws.com`. */
export const RegistryEntry = z.string().superRefine((value, ctx) => {
  const problem = registryEntryProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `registry "${value}" ${problem}` });
});

/** A Pod Security policy version: `latest` or `v1.<minor>`. */
export const PssVersion = z.string().refine((value) => parsePolicyVersion(value) !== undefined, { message: 'must be "latest" or "v1.<minor>", e.g. "v1.30"' });

/**
 * An exception accepting the findings of some rules for some objects. `namespace` and `workload`
 * (`Kind/name` or `name`) take `*` globs; both unset = everywhere. The reason is required: an
 * exception without one is not an exception but a silenced finding.
 */
export const Exception = z.strictObject({
  rules: z.array(z.string().min(1)).min(1),
  namespace: z.string().min(1).optional(),
  workload: z.string().min(1).optional(),
  reason: z.string().trim().min(1, 'an exception needs a reason'),
  expires: z.iso.date({ message: 'must be a date "YYYY-MM-DD"' }).optional(),
});
export type Exception = z.infer<typeof Exception>;

/** Every setting, without defaults: each layer (file, env, flags) is validated with this. */
export const SettingsLayer = z.strictObject({
  format: z.string().min(1),
  output: z.string().min(1),
  failOn: z.enum(FAIL_ON),
  namespaces: z.array(Namespace),
  kubeconfig: z.string().min(1),
  context: z.string().min(1),
  inCluster: z.boolean(),
  snapshot: z.string().min(1),
  demo: z.boolean(),
  sandboxImages: z.array(z.string().min(1)),
  rules: z.array(z.string()),
  color: z.enum(['auto', 'always', 'never']),
  /** Registries images may come from (registry-allow-list check); empty = not checked. */
  allowedRegistries: z.array(RegistryEntry),
  /** Pod Security policy version for every namespace (default: each namespace's label, else latest). */
  pssVersion: PssVersion,
  /** Pod Security level evaluated in namespaces without pod-security.kubernetes.io labels. */
  pssLevel: z.enum(PSS_LEVELS),
  exceptions: z.array(Exception),
  /** The admission webhook (`runwarden admission`, `serve --admission-port`): what each rule's finding does. */
  admission: z.strictObject({
    /** Rule id → deny, warn or ignore (src/admission/decide.ts DEFAULT_ACTIONS for the rest). */
    actions: z.record(z.string().min(1), z.enum(['deny', 'warn', 'ignore'])).optional(),
    /** A fixable vulnerability acts at or above this severity (default critical). */
    vulnerabilitySeverity: z.enum(SEVERITIES).optional(),
    /** A review that cannot be judged: admitted with a warning (open, the default) or denied (closed). */
    failureMode: z.enum(['open', 'closed']).optional(),
    /** Also review what the built-in controllers make from a workload (default false: the workload is reviewed). */
    reviewControllerObjects: z.boolean().optional(),
  }),
  /** Audit-log detection (`runwarden audit detect|serve`): what the rules trust and which optional rules run (src/audit/rule.ts). */
  audit: z.strictObject({
    /** Image repositories (exact, or a prefix ending in `*`) whose pods may be privileged, use host namespaces or sensitive mounts. */
    trustedImages: z.array(z.string().min(1)).optional(),
    /** Images trusted in kube-system and kube-public (default registry.k8s.io/*). */
    kubeNamespaceImages: z.array(z.string().min(1)).optional(),
    /** Identities (usernames, `*` globs) allowed to read Secrets. */
    secretReaders: z.array(z.string().min(1)).optional(),
    /** Turns on unexpected-user: requests by non-system users outside this list. */
    allowedUsers: z.array(z.string().min(1)).optional(),
    /** Turns on unexpected-namespace-created: namespaces created outside this list. */
    allowedNamespaces: z.array(z.string().min(1)).optional(),
    /** Turns on change-trail (an info record of every create and delete of cluster-shaping objects). */
    activity: z.boolean().optional(),
    /** Rule ids turned off. */
    disabled: z.array(z.string().min(1)).optional(),
    /** Detections accepted with a reason: a rule × who (users, groups) × where (namespaces), each a glob list; all given must match. */
    exceptions: z
      .array(
        z.strictObject({
          rules: z.array(z.string().min(1)).min(1),
          users: z.array(z.string().min(1)).optional(),
          groups: z.array(z.string().min(1)).optional(),
          namespaces: z.array(z.string().min(1)).optional(),
          reason: z.string().trim().min(1, 'an exception needs a reason'),
          expires: z.iso.date({ message: 'must be a date "YYYY-MM-DD"' }).optional(),
        }),
      )
      .optional(),
  }),
  debug: z.boolean(),
}).partial();
export type SettingsLayer = z.infer<typeof SettingsLayer>;

export const DEFAULTS = {
  format: 'table',
  failOn: 'none',
  inCluster: false,
  demo: false,
  sandboxImages: [] as string[],
  color: 'auto',
  debug: false,
} as const satisfies SettingsLayer;

/** Settings after merging: the defaulted keys are always present. */
export type Settings = SettingsLayer & { -readonly [K in keyof typeof DEFAULTS]-?: NonNullable<SettingsLayer[K]> };

/** Environment variables read, and the setting each maps to. */
export const ENV_VARS = {
  RUNWARDEN_FORMAT: 'format',
  RUNWARDEN_OUTPUT: 'output',
  RUNWARDEN_FAIL_ON: 'failOn',
  RUNWARDEN_NAMESPACE: 'namespaces',
  RUNWARDEN_CONTEXT: 'context',
  RUNWARDEN_SANDBOX_IMAGES: 'sandboxImages',
  RUNWARDEN_PSS_VERSION: 'pssVersion',
  RUNWARDEN_PSS_LEVEL: 'pssLevel',
} as const satisfies Record<string, keyof SettingsLayer>;
