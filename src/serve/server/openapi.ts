/** The OpenAPI 3.1 document of the REST API (served at /api/v1/openapi.json). Keep in step with api.ts (a test checks the paths). */
import { FINDING_KINDS } from '../../core/finding.js';
import { SEVERITIES } from '../../core/severity.js';
import { FORMATS } from '../../report/registry.js';

const query = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }): Record<string, unknown> => ({ name, in: 'query', required: false, description, schema });
const time = { type: 'string', format: 'date-time' };
const limit = query('limit', 'Page size, 1–1000.', { type: 'integer', minimum: 1, maximum: 1000 });
const list = (description: string, params: Array<Record<string, unknown>> = []): Record<string, unknown> => ({
  get: {
    description,
    parameters: params,
    responses: {
      '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object', properties: { items: { type: 'array', items: { type: 'object' } } } } } } },
      '400': { $ref: '#/components/responses/BadRequest' },
      '401': { $ref: '#/components/responses/Unauthorized' },
    },
  },
});

export const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'runwarden serve API', version: '1', description: 'Read-only API of the runwarden monitoring service: findings with history, scans, trends, workloads, nodes and images.' },
  security: [{ bearer: [] }],
  paths: {
    '/api/v1/summary': { get: { description: 'The latest successful scan: id, times and summary counts.', responses: { '200': { description: 'OK' }, '401': { $ref: '#/components/responses/Unauthorized' } } } },
    '/api/v1/findings': list('Findings, worst first, paginated by cursor (`next`).', [
      query('state', 'open (default), fixed or all (every open→fixed span).', { enum: ['open', 'fixed', 'all'] }),
      query('severity', 'At or above this severity.', { enum: [...SEVERITIES] }),
      query('kind', 'Finding kind.', { enum: [...FINDING_KINDS] }),
      query('namespace', 'Namespace ("" matches cluster-level findings).'),
      query('rule', 'Rule id, e.g. privileged-container.'),
      query('workload', 'namespace/Kind/name.'),
      query('q', 'Case-insensitive text in the subject path or title.'),
      query('since', 'Opened after this time ("new since").', time),
      query('fixedSince', 'Fixed after this time.', time),
      limit,
      query('cursor', 'The `next` of the previous page.'),
    ]),
    '/api/v1/scans': list('Scans, newest first (failed ones included, with their error).', [limit, query('before', 'Started before this time.', time)]),
    '/api/v1/trends': list('Open findings per successful scan by severity and kind, oldest first.', [query('since', 'From this time.', time), query('namespace', 'Only this namespace.')]),
    '/api/v1/time-to-fix': list('Seconds from opening to fix per severity (mean, median, max).', [query('since', 'Fixed after this time.', time)]),
    '/api/v1/workloads': list('Workloads ranked by risk: the weighted severity of their open findings (critical 100, high 30, medium 10, low 3, unknown 2).', [query('namespace', 'Only this namespace.'), limit]),
    '/api/v1/workloads/{namespace}/{kind}/{name}': {
      get: {
        description: 'One workload: its pods, containers with running digests, and open findings.',
        parameters: ['namespace', 'kind', 'name'].map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
        responses: { '200': { description: 'OK' }, '404': { description: 'No such workload' }, '401': { $ref: '#/components/responses/Unauthorized' } },
      },
    },
    '/api/v1/nodes': list('Nodes of the latest scan: versions, pods, cached and reclaimable bytes, findings.'),
    '/api/v1/images': list('Running images of the latest scan: digests, containers, namespaces, open findings, freshness verdict.'),
    '/api/v1/report': {
      get: {
        description: 'The latest scan\'s whole report, as `runwarden scan --format` writes it: JSON (default, schema 1.x), SARIF 2.1.0, CycloneDX 1.6 with VEX (the vulnerabilities), a self-contained HTML page, or the text table.',
        parameters: [
          query('format', 'Report format (default json).', { enum: FORMATS.map((f) => f.id) }),
          { name: 'If-None-Match', in: 'header', required: false, description: 'The ETag of a report the client has (the scan and the format): 304 until the next scan.', schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'The report, with its ETag',
            headers: { ETag: { description: 'The scan and the format', schema: { type: 'string' } } },
            content: Object.fromEntries(FORMATS.map((f): [string, { schema: { type: 'string' } }] => [f.mediaType.split(';')[0] ?? f.mediaType, { schema: { type: 'string' } }])),
          },
          '304': { description: 'Not modified: the client has this scan\'s report (If-None-Match)' },
          '400': { $ref: '#/components/responses/BadRequest' },
          '401': { $ref: '#/components/responses/Unauthorized' },
          '503': { description: 'No scan has finished yet in this replica (with leader election, only the leader scans)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      },
    },
    '/api/v1/end-of-life': list('Open end-of-life findings with their dates, soonest first (the end-of-life calendar).'),
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token whose SHA-256 is listed in --token-file.' } },
    responses: {
      BadRequest: { description: 'A query parameter is unknown or invalid', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      Unauthorized: { description: 'Missing or invalid bearer token', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
    schemas: { Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, hint: { type: 'string' } } } },
  },
} as const;
