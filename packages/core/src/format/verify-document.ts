import { IntegrityError, ValidationError } from "../errors/errors.ts";
import { isPlainObject } from "../graph/merge-patch.ts";
import type { JsonObject } from "../graph/types.ts";
import { canonicalJson } from "../integrity/canonical-json.ts";
import { createSha256, type HasherFactory } from "../integrity/sha256.ts";

const NEWLINE = 0x0a;
const TRAILER_PREFIX = new TextEncoder().encode(',"checksum":"');
/** `,"checksum":"` + 64 hex + `"}` */
const TRAILER_LENGTH = TRAILER_PREFIX.length + 64 + 2;

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * Fast path: verifies a file written by `writeDocument` by hashing its bytes, minus newline
 * bytes, with the checksum trailer replaced by `}`. Returns the stored checksum when the file
 * is in that layout and matches, `null` otherwise (the caller then falls back to
 * {@link documentChecksum}, which accepts any layout, e.g. a pretty-printed file).
 */
export function verifyCanonicalBytes(
  bytes: Uint8Array,
  hasherFactory: HasherFactory = createSha256,
): string | null {
  let end = bytes.length;
  while (end > 0 && isWhitespace(bytes[end - 1]!)) end--;
  const start = end - TRAILER_LENGTH;
  if (start <= 0 || bytes[end - 1] !== 0x7d || bytes[end - 2] !== 0x22) return null;
  for (let i = 0; i < TRAILER_PREFIX.length; i++) if (bytes[start + i] !== TRAILER_PREFIX[i]) return null;
  let stored = "";
  for (let i = start + TRAILER_PREFIX.length; i < end - 2; i++) {
    const c = bytes[i]!;
    // lowercase hex only
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return null;
    stored += String.fromCharCode(c);
  }
  const hasher = hasherFactory();
  let from = 0;
  for (let i = 0; i < start; i++) {
    if (bytes[i] === NEWLINE) {
      if (i > from) hasher.update(bytes.subarray(from, i));
      from = i + 1;
    }
  }
  if (start > from) hasher.update(bytes.subarray(from, start));
  hasher.update("}");
  return hasher.digestHex() === stored ? stored : null;
}

/** SPEC checksum of a parsed document: SHA-256 of the canonical JSON without `checksum`. */
export function documentChecksum(doc: JsonObject, hasherFactory: HasherFactory = createSha256): string {
  const { checksum: _ignored, ...rest } = doc;
  const hasher = hasherFactory();
  hasher.update(canonicalJson(rest));
  return hasher.digestHex();
}

/**
 * Checks the `checksum` member of a parsed document in any layout. Throws
 * `IntegrityError("checksum_mismatch")` naming the file when it does not match.
 */
export function assertDocumentChecksum(doc: unknown, file: string, hasherFactory?: HasherFactory): void {
  if (!isPlainObject(doc) || typeof doc.checksum !== "string") {
    throw new IntegrityError("checksum_mismatch", "document has no checksum", { file });
  }
  const actual = documentChecksum(doc, hasherFactory);
  if (actual !== doc.checksum) {
    throw new IntegrityError("checksum_mismatch", "checksum does not match the content", {
      file,
      details: { expected: doc.checksum, actual },
    });
  }
}

/**
 * A document submitted to replace the graph (`PUT /api/graph`, `dawsos import`) that carries a
 * `checksum` must match it, whatever its version (SPEC section 4). Client input, so a
 * `ValidationError` (400), not an integrity error.
 */
export function assertSubmittedChecksum(document: unknown, hasherFactory?: HasherFactory): void {
  if (!isPlainObject(document) || !("checksum" in document)) return;
  const expected = document.checksum;
  if (typeof expected !== "string" || documentChecksum(document, hasherFactory) !== expected) {
    throw new ValidationError("document checksum does not match its content", {
      details: { field: "checksum" },
    });
  }
}
