import { captureSnapshot, documentText, type KnowledgeGraph, type OnProgress } from "@dawsos/core";
import { countedSnapshot } from "@dawsos/core/format";
import { progressStep } from "@dawsos/core/util";

/**
 * The text `dawsos export` writes: the graph's checksummed document, in chunks produced as the
 * writer takes them. With `onProgress`, the entries written so far are reported as `step` after
 * each chunk is taken, of the graph's entry count.
 */
export function* exportedDocument(
  graph: KnowledgeGraph,
  step: string,
  onProgress?: OnProgress,
): Generator<string> {
  if (!onProgress) {
    yield* documentText(captureSnapshot(graph));
    return;
  }
  const { snapshot, taken } = countedSnapshot(captureSnapshot(graph));
  const count = progressStep(
    onProgress,
    step,
    "records",
    graph.nodeCount + graph.edgeCount + graph.patternCount,
  );
  let reported = 0;
  for (const chunk of documentText(snapshot)) {
    yield chunk;
    count(taken() - reported);
    reported = taken();
  }
}
