/**
 * Port lists in mesh annotations: Istio's `traffic.sidecar.istio.io/includeInboundPorts` /
 * `excludeInboundPorts` (comma-separated numbers, `*` = all) and Linkerd's
 * `config.linkerd.io/skip-inbound-ports` (numbers and `from-to` ranges). Bounded, linear parsing.
 */

export interface PortList {
  /** `*`: every port. */
  all: boolean;
  ranges: Array<[number, number]>;
  /** Entries that are neither a port nor a range (reported, never guessed). */
  invalid: string[];
}

export function parsePortList(value: string): PortList {
  const out: PortList = { all: false, ranges: [], invalid: [] };
  for (const raw of value.split(',').slice(0, 1000)) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (entry === '*') {
      out.all = true;
      continue;
    }
    const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(entry);
    const from = Number(match?.[1]);
    const to = match?.[2] === undefined ? from : Number(match[2]);
    if (match === null || from < 1 || to > 65535 || to < from) out.invalid.push(entry);
    else out.ranges.push([from, to]);
  }
  return out;
}

export function inPortList(list: PortList, port: number): boolean {
  return list.all || list.ranges.some(([from, to]) => port >= from && port <= to);
}

/** `8080, 9090-9099` */
export function formatPortList(list: PortList): string {
  if (list.all) return '*';
  return list.ranges.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(', ');
}
