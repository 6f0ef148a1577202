/**
 * Runtimes from the image config's environment: the official Docker images of language runtimes
 * and servers record the version they installed (`NODE_VERSION=16.20.2`, `PYTHON_VERSION=3.12.1`,
 * `JAVA_VERSION=jdk-21.0.5+11`, …). This finds a runtime copied into `/usr/local` that no package
 * database lists.
 */
import type { Issue } from '../../core/issue.js';
import { detection } from './common.js';
import type { Detection, Detector } from './types.js';

/** Variable → product and the pattern its value must match (group 1 = the version). */
export const ENV_PRODUCTS: ReadonlyArray<{ name: string; product: string; pattern: RegExp }> = [
  { name: 'NODE_VERSION', product: 'nodejs', pattern: /^v?(\d+(?:\.\d+)*)$/ },
  { name: 'PYTHON_VERSION', product: 'python', pattern: /^(\d+\.\d+(?:\.\d+)?)(?:[abrc]+\d*)?$/ },
  { name: 'GOLANG_VERSION', product: 'go', pattern: /^(\d+\.\d+(?:\.\d+)?)/ },
  // Temurin's images write `jdk-21.0.5+11` (and `jdk8u432-b06` for 8).
  { name: 'JAVA_VERSION', product: 'eclipse-temurin', pattern: /^jdk-?(\d+)(?:[.u+]|$)/ },
  { name: 'NGINX_VERSION', product: 'nginx', pattern: /^(\d+\.\d+(?:\.\d+)?)$/ },
  { name: 'PG_VERSION', product: 'postgresql', pattern: /^(\d+(?:\.\d+)?)/ },
  { name: 'PG_MAJOR', product: 'postgresql', pattern: /^(\d+)$/ },
  { name: 'REDIS_VERSION', product: 'redis', pattern: /^(\d+\.\d+(?:\.\d+)?)$/ },
  { name: 'RUBY_VERSION', product: 'ruby', pattern: /^(\d+\.\d+(?:\.\d+)?)$/ },
  { name: 'PHP_VERSION', product: 'php', pattern: /^(\d+\.\d+(?:\.\d+)?)$/ },
  { name: 'DOTNET_VERSION', product: 'dotnet', pattern: /^(\d+\.\d+(?:\.\d+)?)/ },
  { name: 'MYSQL_VERSION', product: 'mysql', pattern: /^(\d+\.\d+(?:\.\d+)?)/ },
  { name: 'MONGO_VERSION', product: 'mongodb', pattern: /^(\d+\.\d+(?:\.\d+)?)$/ },
];

export const envDetector: Detector = {
  id: 'env',
  detect(facts, data) {
    const detections: Detection[] = [];
    const issues: Issue[] = [];
    const vars = new Map<string, string>();
    for (const e of facts.env ?? []) {
      const eq = e.indexOf('=');
      if (eq > 0) vars.set(e.slice(0, eq), e.slice(eq + 1).trim());
    }
    const seen = new Set<string>();
    for (const rule of ENV_PRODUCTS) {
      const value = vars.get(rule.name);
      const version = value === undefined ? undefined : rule.pattern.exec(value)?.[1];
      // PG_VERSION and PG_MAJOR both name PostgreSQL: the first that parses is enough.
      if (version === undefined || seen.has(rule.product)) continue;
      seen.add(rule.product);
      const r = detection(data, rule.product, version, 'env', `config env ${rule.name}=${value ?? ''}`);
      if (r.detection !== undefined) detections.push(r.detection);
      if (r.issue !== undefined) issues.push(r.issue);
    }
    return { detections, issues };
  },
};
