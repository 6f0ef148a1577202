/**
 * All settings in one zod schema. Precedence: defaults < config file (--config, YAML/JSON)
 * < environment (RUNWARDEN_*) < flags. Each layer is validated with the same schema, so a bad
 * value is reported with the layer it came from.
 */
import { z } from 'zod';
import { SEVERITIES } from '../core/severity.js';

export const FAIL_ON = [...SEVERITIES, 'none'] as const;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const Namespace = z.string().max(63).regex(DNS1123_LABEL);

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
} as const satisfies Record<string, keyof SettingsLayer>;
