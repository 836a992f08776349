import type { DocumentSnapshot } from "./write-document.ts";

/**
 * `snapshot` with its entries (nodes, edges, patterns) counted as the serialiser takes them, for
 * progress reports: `taken()` is how many have been serialised so far. `documentText` takes
 * entries only as its consumer pulls text, so behind a writer with backpressure that is what
 * has been written, give or take one chunk. Like any snapshot, the result is iterated once.
 */
export function countedSnapshot(snapshot: DocumentSnapshot): {
  snapshot: DocumentSnapshot;
  taken: () => number;
} {
  let taken = 0;
  function* count<T>(items: Iterable<T>): Generator<T> {
    for (const item of items) {
      taken++;
      yield item;
    }
  }
  return {
    snapshot: {
      seq: snapshot.seq,
      scalars: snapshot.scalars,
      nodes: count(snapshot.nodes),
      edges: count(snapshot.edges),
      patterns: count(snapshot.patterns),
    },
    taken: () => taken,
  };
}
