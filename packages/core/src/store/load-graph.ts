import { DawsosError, IntegrityError } from "../errors/errors.ts";
import { type DocumentFormat, parseJsonDocument, readDocument } from "../format/read-document.ts";
import { assertDocumentChecksum, verifyCanonicalBytes } from "../format/verify-document.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { HasherFactory } from "../integrity/sha256.ts";

export interface LoadedGraph {
  graph: KnowledgeGraph;
  format: DocumentFormat;
  /** The verified checksum, `null` for formats that carry none (seed, Python). */
  checksum: string | null;
}

export interface LoadGraphOptions {
  hasher?: HasherFactory;
  now: string;
  /** Accept documents without a checksum (imports of seed/Python files). Stored snapshots must have one. */
  allowUnchecksummed?: boolean;
}

/**
 * Verifies and loads a stored graph document. Every failure is an `IntegrityError` naming
 * `file`: empty/NUL files, malformed JSON, a checksum mismatch, or content that breaks the
 * schema (code `invalid_document`).
 */
export function loadGraphBytes(bytes: Uint8Array, file: string, options: LoadGraphOptions): LoadedGraph {
  const fastChecksum = verifyCanonicalBytes(bytes, options.hasher);
  const raw = parseJsonDocument(bytes, file);
  const hasChecksum = typeof (raw as { checksum?: unknown })?.checksum === "string";
  // Our own format (version 2 with a seq) must always carry a valid checksum; seed documents
  // (version 2, no seq) and Python ones carry none and are accepted only where allowed.
  const { version, seq } = (raw ?? {}) as { version?: unknown; seq?: unknown };
  const foreign = !hasChecksum && (version !== 2 || typeof seq !== "number");
  if (fastChecksum === null && !(foreign && options.allowUnchecksummed)) {
    assertDocumentChecksum(raw, file, options.hasher);
  }
  try {
    const { graph, format } = readDocument(raw, { file, now: options.now });
    return { graph, format, checksum: hasChecksum ? (raw as { checksum: string }).checksum : null };
  } catch (cause) {
    if (cause instanceof IntegrityError) throw cause;
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new IntegrityError(
      "invalid_document",
      message.startsWith(file) ? message.slice(file.length + 2) : message,
      {
        file,
        cause,
        details: cause instanceof DawsosError ? cause.details : undefined,
      },
    );
  }
}
