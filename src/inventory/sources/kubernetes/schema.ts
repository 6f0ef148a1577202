/**
 * Envelopes of API server replies (apimachinery `metav1.List` and `metav1.Status`). The items are
 * validated one by one with `OBJECT_SCHEMAS`, so one bad object never hides the rest of the page.
 */
import { z } from 'zod';

/** `PodList`, `DeploymentList`, …: `metadata.continue` is set while more pages remain. */
export const ObjectList = z.looseObject({
  kind: z.string().optional(),
  apiVersion: z.string().optional(),
  metadata: z
    .looseObject({
      resourceVersion: z.string().nullish(),
      continue: z.string().nullish(),
      remainingItemCount: z.number().nullish(),
    })
    .nullish(),
  items: z.array(z.unknown()).nullable(),
});
export type ObjectList = z.infer<typeof ObjectList>;

/** The body of every API error reply: `{"kind":"Status","status":"Failure","reason":"Forbidden","code":403,…}`. */
export const Status = z.looseObject({
  kind: z.literal('Status'),
  status: z.string().nullish(),
  message: z.string().nullish(),
  reason: z.string().nullish(),
  code: z.number().nullish(),
  /** What the API server adds to a generic message, e.g. a JSON Patch `test` that failed ("testing value … failed: test failed"). */
  details: z.looseObject({ causes: z.array(z.looseObject({ message: z.string().nullish() })).nullish() }).nullish(),
});
export type Status = z.infer<typeof Status>;
