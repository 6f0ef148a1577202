/**
 * zod schemas of everything the registry client reads: manifests and indexes (OCI image spec
 * manifest.md / image-index.md, Docker image manifest v2 schema 2), image configs (config.md),
 * tag lists and error bodies (OCI distribution spec), token replies (Docker token auth spec),
 * docker `config.json` and Kubernetes pull secrets. Names carry no `Schema` suffix: the inferred
 * type shares the name.
 */
import { z } from 'zod';

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export const Digest = z
  .string()
  .regex(DIGEST, 'expected "<algorithm>:<encoded>", e.g. "sha256:<64 hex>"')
  .refine((d) => !d.startsWith('sha256:') || /^sha256:[a-f0-9]{64}$/.test(d), 'a sha256 digest has 64 lowercase hex characters')
  .refine((d) => !d.startsWith('sha512:') || /^sha512:[a-f0-9]{128}$/.test(d), 'a sha512 digest has 128 lowercase hex characters');
export type Digest = z.infer<typeof Digest>;

const StringMap = z.record(z.string(), z.string());

export const Platform = z.object({
  architecture: z.string().min(1),
  os: z.string().min(1),
  variant: z.string().min(1).optional(),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
  features: z.array(z.string()).optional(),
});
export type Platform = z.infer<typeof Platform>;

export const Descriptor = z.object({
  mediaType: z.string().min(1),
  digest: Digest,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: StringMap.optional(),
  platform: Platform.optional(),
  artifactType: z.string().optional(),
});
export type Descriptor = z.infer<typeof Descriptor>;

/** An image (or artifact) manifest: OCI `application/vnd.oci.image.manifest.v1+json` or Docker v2s2. */
export const ImageManifest = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: Descriptor,
  layers: z.array(Descriptor),
  subject: Descriptor.optional(),
  annotations: StringMap.optional(),
});
export type ImageManifest = z.infer<typeof ImageManifest>;

/** An index: OCI `application/vnd.oci.image.index.v1+json` or a Docker manifest list. */
export const ImageIndex = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  manifests: z.array(Descriptor),
  subject: Descriptor.optional(),
  annotations: StringMap.optional(),
});
export type ImageIndex = z.infer<typeof ImageIndex>;

const NullableStrings = z.array(z.string()).nullable().optional();

/** Image config (OCI config.md; Docker writes `null` for empty lists and maps). */
export const ImageConfig = z.object({
  created: z.string().optional(),
  author: z.string().optional(),
  architecture: z.string().optional(),
  os: z.string().optional(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
  config: z
    .object({
      User: z.string().optional(),
      ExposedPorts: z.record(z.string(), z.unknown()).nullable().optional(),
      Env: NullableStrings,
      Entrypoint: NullableStrings,
      Cmd: NullableStrings,
      Volumes: z.record(z.string(), z.unknown()).nullable().optional(),
      WorkingDir: z.string().optional(),
      Labels: StringMap.nullable().optional(),
      StopSignal: z.string().optional(),
    })
    .nullable()
    .optional(),
  rootfs: z.object({ type: z.string(), diff_ids: z.array(Digest) }),
  history: z
    .array(
      z.object({
        created: z.string().optional(),
        created_by: z.string().optional(),
        author: z.string().optional(),
        comment: z.string().optional(),
        empty_layer: z.boolean().optional(),
      }),
    )
    .optional(),
});
export type ImageConfig = z.infer<typeof ImageConfig>;

/** `GET /v2/<name>/tags/list` (distribution spec "Listing Tags"); `tags` is null for an empty repository. */
export const TagList = z.object({ name: z.string(), tags: z.array(z.string()).nullable() });

/** Error body of the distribution spec (`{"errors":[{"code","message","detail"}]}`). */
export const ErrorBody = z.object({
  errors: z.array(z.object({ code: z.string(), message: z.string().optional(), detail: z.unknown().optional() })),
});

/** Reply of a token endpoint (Docker "Token Authentication Specification"; OAuth2 replies use access_token). */
export const TokenReply = z
  .object({
    token: z.string().min(1).optional(),
    access_token: z.string().min(1).optional(),
    expires_in: z.number().int().positive().optional(),
    issued_at: z.string().optional(),
    refresh_token: z.string().optional(),
  })
  .refine((t) => t.token !== undefined || t.access_token !== undefined, 'neither "token" nor "access_token" is set');
export type TokenReply = z.infer<typeof TokenReply>;

const AuthEntry = z.object({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
  registrytoken: z.string().optional(),
  email: z.string().optional(),
});
export type AuthEntry = z.infer<typeof AuthEntry>;

/** docker `config.json` (the parts about credentials). */
export const DockerConfig = z.object({
  auths: z.record(z.string(), AuthEntry).optional(),
  credHelpers: z.record(z.string(), z.string()).optional(),
  credsStore: z.string().optional(),
});
export type DockerConfig = z.infer<typeof DockerConfig>;

/** The legacy `.dockercfg` format: the `auths` map itself. */
export const DockerCfg = z.record(z.string(), AuthEntry);
export type DockerCfg = z.infer<typeof DockerCfg>;

/** A Kubernetes imagePullSecret (`kubernetes.io/dockerconfigjson` or legacy `kubernetes.io/dockercfg`). */
export const PullSecret = z.object({
  kind: z.literal('Secret').optional(),
  metadata: z.object({ name: z.string().optional(), namespace: z.string().optional() }).optional(),
  type: z.string().optional(),
  data: z.record(z.string(), z.string()).optional(),
  stringData: z.record(z.string(), z.string()).optional(),
});
export type PullSecret = z.infer<typeof PullSecret>;

/** What a credential helper prints for `get` (docker-credential-helpers). */
export const HelperReply = z.object({ ServerURL: z.string().optional(), Username: z.string(), Secret: z.string() });

/** Mirror and rewrite settings of the registry client. */
export const RegistryHostsConfig = z.strictObject({
  /** Hosts (`host[:port]`) reached over plain HTTP; every other host is HTTPS only. */
  insecure: z.array(z.string().min(1)).default([]),
  /** `docker.io` → [`mirror.internal:5000`]: pulls try each mirror in order, then the registry itself. */
  mirrors: z.record(z.string(), z.array(z.string().min(1))).default({}),
  /** Prefix rewrites of `registry/repository`, first match wins: `{from: "docker.io/library/", to: "registry.internal/hub/"}`. */
  rewrites: z.array(z.strictObject({ from: z.string().min(1), to: z.string().min(1) })).default([]),
});
export type RegistryHostsConfig = z.infer<typeof RegistryHostsConfig>;
