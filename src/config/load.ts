import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError, errorMessage } from '../core/errors.js';
import { DEFAULTS, ENV_VARS, SettingsLayer, type Settings } from './schema.js';

const LIST_SETTINGS = new Set(['namespaces', 'sandboxImages', 'rules']);

/** Read and validate a config file (YAML or JSON with the keys of `Settings`). */
export async function readConfigFile(path: string): Promise<SettingsLayer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read config file "${path}" (--config): ${errorMessage(error)}`, { hint: 'Check the path passed to --config.' });
  }
  let value: unknown;
  try {
    value = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(`Config file "${path}" is not valid YAML: ${errorMessage(error).split('\n')[0] ?? ''}`, { hint: 'Fix the syntax; JSON is valid YAML too.' });
  }
  return validateLayer(value, `config file ${path}`);
}

/** Settings from RUNWARDEN_* environment variables (lists are comma-separated). */
export function envLayer(env: NodeJS.ProcessEnv): SettingsLayer {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_VARS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    out[key] = LIST_SETTINGS.has(key) ? splitList(value) : value;
  }
  return validateLayer(out, 'environment');
}

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function validateLayer(value: unknown, origin: string): SettingsLayer {
  const parsed = SettingsLayer.safeParse(value);
  if (!parsed.success) throw layerError(parsed.error, value, origin);
  return parsed.data;
}

/** Merge layers (later wins) and apply defaults. */
export function mergeSettings(...layers: SettingsLayer[]): Settings {
  const merged: Record<string, unknown> = { ...DEFAULTS, sandboxImages: [...DEFAULTS.sandboxImages] };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) merged[key] = value;
  }
  return merged as Settings;
}

function layerError(error: z.ZodError, value: unknown, origin: string): ConfigError {
  const first = error.issues[0];
  const key = first?.path.map(String).join('.') ?? '';
  const setting = first?.path[0];
  const envName = Object.entries(ENV_VARS).find(([, k]) => k === setting)?.[0];
  const where = origin === 'environment' && envName !== undefined ? `${envName} (environment)` : `"${key}" in ${origin}`;
  let actual: unknown = value;
  for (const p of first?.path ?? []) actual = (actual as Record<PropertyKey, unknown> | undefined)?.[p];
  if (first?.code === 'unrecognized_keys') {
    return new ConfigError(`Unknown setting(s) ${first.keys.map((k) => `"${k}"`).join(', ')} in ${origin}`, { hint: `Known settings: ${Object.keys(SettingsLayer.shape).join(', ')}.` });
  }
  return new ConfigError(`Invalid ${where}: ${JSON.stringify(actual)} — ${first?.message ?? 'invalid value'}`, { hint: 'See "runwarden scan --help" for the accepted values.' });
}
