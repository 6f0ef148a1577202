/** zod schemas of the two Debian Security Tracker layouts this source reads. */
import { z } from 'zod';

/** https://security-tracker.debian.org/tracker/data/json: source package → issue → release → state. */
export const TrackerRelease = z.looseObject({
  status: z.string(),
  repositories: z.record(z.string(), z.string()).optional(),
  fixed_version: z.string().optional(),
  urgency: z.string().optional(),
  nodsa: z.string().optional(),
  nodsa_reason: z.string().optional(),
});
export type TrackerRelease = z.infer<typeof TrackerRelease>;

export const TrackerIssue = z.looseObject({
  description: z.string().optional(),
  scope: z.string().optional(),
  debianbug: z.number().optional(),
  releases: z.record(z.string(), z.unknown()),
});
export type TrackerIssue = z.infer<typeof TrackerIssue>;

/** aquasecurity/vuln-list-debian `tracker/{CVE,DLA,DSA}/<ID>.json`: the tracker's list files, parsed. */
export const Annotation = z.looseObject({
  Type: z.string(),
  Release: z.string().optional(),
  Package: z.string().optional(),
  Kind: z.string().optional(),
  Version: z.string().optional(),
  Severity: z.string().optional(),
  Description: z.string().optional(),
  Bugs: z.array(z.string()).nullish(),
});
export type Annotation = z.infer<typeof Annotation>;

export const Bug = z.looseObject({
  Header: z.looseObject({ ID: z.string().min(1), Description: z.string().optional(), Original: z.string().optional() }),
  Annotations: z.array(Annotation).nullish(),
});
export type Bug = z.infer<typeof Bug>;

/** `tracker/distributions.json`: codename → major version ("" for sid). */
export const Distributions = z.record(z.string(), z.looseObject({ 'major-version': z.string() }));

/** `tracker/{source,updates-source}/<codename>/<component>/<l>/<pkg>.json` (one Sources stanza), or an array of them. */
export const SourceStanza = z.looseObject({ Package: z.array(z.string()).nullish(), Version: z.array(z.string()).nullish() });
