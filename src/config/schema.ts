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

export const Settings = z.strictObject({
  format: z.string().default('table'),
  output: z.string().optional(),
  failOn: z.enum(FAIL_ON).default('none'),
  namespaces: z.array(Namespace).optional(),
  kubeconfig: z.string().optional(),
  context: z.string().optional(),
  inCluster: z.boolean().default(false),
  snapshot: z.string().optional(),
  demo: z.boolean().default(false),
  sandboxImages: z.array(z.string().min(1)).default([]),
  rules: z.array(z.string()).optional(),
  color: z.enum(['auto', 'always', 'never']).default('auto'),
  debug: z.boolean().default(false),
});
export type Settings = z.infer<typeof Settings>;

/** A partial layer (file, env or flags), validated before it is merged. */
export const SettingsLayer = Settings.partial();
export type SettingsLayer = z.infer<typeof SettingsLayer>;

/** Environment variables read, and the setting each maps to. */
export const ENV_VARS = {
  RUNWARDEN_FORMAT: 'format',
  RUNWARDEN_OUTPUT: 'output',
  RUNWARDEN_FAIL_ON: 'failOn',
  RUNWARDEN_NAMESPACE: 'namespaces',
  RUNWARDEN_CONTEXT: 'context',
  RUNWARDEN_SANDBOX_IMAGES: 'sandboxImages',
} as const satisfies Record<string, keyof Settings>;
