/** The node agent's published report (schema, bounded summary, ConfigMap codec) and the cluster scan's view of it. See readme.md. */
export { MAX_NODE_REPORT_BYTES, NODE_REPORT_DATA_KEY, NODE_REPORT_KIND, NODE_REPORT_SCHEMA_VERSION, NodeReport } from './schema.js';
export type { NodeReportImage } from './schema.js';
export { buildNodeReport, encodeNodeReport, type NodeReportContext } from './summary.js';
export { NODE_REPORT_NAME_PREFIX, decodeNodeReport, nodeReportConfigMap, nodeReportName, type DecodedNodeReport } from './configmap.js';
export { AGENT_POD_LABELS, DEFAULT_STALE_AFTER_HOURS, nodeAgentsSummary, type NodeAgentsOptions } from './cluster.js';
