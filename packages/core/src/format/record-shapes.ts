import { isPlainObject } from "../graph/merge-patch.ts";
import { type JsonObject, MAX_ID_LENGTH, MAX_TYPE_LENGTH } from "../graph/types.ts";

/**
 * Hand-written twins of the zod schemas `anyDocumentSchema`, `anyNodeSchema` and
 * `anyEdgeSchema` (schemas.ts), for loading: running zod over every record of a 100k-node
 * seed or import cost as much as building the graph. The loader asks these first and calls
 * zod only when one says no, for its detailed issues; record-shapes.test.ts checks that each
 * twin agrees with its schema on generated values, so the two cannot drift apart silently.
 */

const isOptionalString = (value: unknown): boolean => value === undefined || typeof value === "string";

function isId(value: unknown): boolean {
  return typeof value === "string" && value.length >= 1 && value.length <= MAX_ID_LENGTH;
}

function isType(value: unknown): boolean {
  return typeof value === "string" && value.length >= 1 && value.length <= MAX_TYPE_LENGTH;
}

/** What `z.record(z.string(), …)` and `z.looseObject({})` accept from parsed JSON: a plain object. */
const isRecord = isPlainObject;

/** `anyNodeSchema`, for a plain object (the loader requires one anyway). */
export function isAnyNode(raw: unknown): raw is JsonObject {
  if (!isPlainObject(raw)) return false;
  return (
    (raw.id === undefined || isId(raw.id)) &&
    isType(raw.type) &&
    (raw.data === undefined || isRecord(raw.data)) &&
    isOptionalString(raw.created_at) &&
    isOptionalString(raw.updated_at) &&
    isOptionalString(raw.created) &&
    isOptionalString(raw.modified)
  );
}

/** `anyEdgeSchema`, for a plain object. */
export function isAnyEdge(raw: unknown): raw is JsonObject {
  if (!isPlainObject(raw)) return false;
  const strength = raw.strength;
  return (
    (raw.id === undefined || isId(raw.id)) &&
    isId(raw.from) &&
    isId(raw.to) &&
    isType(raw.type) &&
    (strength === undefined ||
      (typeof strength === "number" && Number.isFinite(strength) && strength >= 0 && strength <= 1)) &&
    isOptionalString(raw.created_at) &&
    isOptionalString(raw.created)
  );
}

/** `anyDocumentSchema`, for a plain object. */
export function isAnyDocument(raw: unknown): raw is JsonObject {
  if (!isPlainObject(raw)) return false;
  const { version, seq } = raw;
  return (
    (version === undefined ||
      typeof version === "string" ||
      (typeof version === "number" && Number.isFinite(version))) &&
    (seq === undefined || (typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 0)) &&
    isRecord(raw.nodes) &&
    (raw.edges === undefined || Array.isArray(raw.edges)) &&
    (raw.patterns === undefined || isRecord(raw.patterns)) &&
    (raw.metadata === undefined || isRecord(raw.metadata)) &&
    isOptionalString(raw.checksum)
  );
}
