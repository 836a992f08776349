const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines (without their `\n`), never holding more than one line
 * plus one chunk. Lines are returned as bytes so callers decide how and whether to decode.
 */
export async function* readLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const batch of readLineBatches(chunks)) yield* batch;
}

/**
 * `readLines`, one batch per chunk: the lines a chunk completes, in order. A consumer that
 * loops over a batch synchronously pays one asynchronous step per chunk instead of one per
 * line (a 1M-node document has 4M lines).
 */
export async function* readLineBatches(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array[]> {
  let carry: Uint8Array | null = null;
  for await (const chunk of chunks) {
    const batch: Uint8Array[] = [];
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) break;
      const piece = chunk.subarray(start, newline);
      if (carry) {
        batch.push(concat(carry, piece));
        carry = null;
      } else {
        batch.push(piece);
      }
      start = newline + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      carry = carry ? concat(carry, rest) : rest.slice();
    }
    if (batch.length > 0) yield batch;
  }
  if (carry && carry.length > 0) yield [carry];
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** An async iterable over one buffer, for adapters without `getStream`. */
export async function* singleChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
