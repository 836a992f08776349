import iterate from "graphology-layout-forceatlas2/iterate.js";
import { type FromWorker, PPN, type ToWorker } from "./fa2-protocol.ts";

/**
 * ForceAtlas2 off the main thread. It iterates flat out in ~40 ms slices (so a "stop" message
 * gets through between them) and sends positions back only every `postEveryMs`: sigma then
 * redraws a few times a second instead of after every iteration, which is what keeps a
 * 20,000-node graph responsive while it settles.
 */
interface WorkerScope {
  postMessage(message: FromWorker, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let run: { stop: () => void } | null = null;

scope.onmessage = (event) => {
  const message = event.data;
  run?.stop();
  run = null;
  if (message.type === "start") run = start(message);
};

function start(job: Extract<ToWorker, { type: "start" }>): { stop: () => void } {
  const { nodes, edges, settings } = job;
  const deadline = performance.now() + job.budgetMs;
  let lastPost = performance.now();
  let iterations = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const post = (done: boolean) => {
    const positions = new Float32Array((nodes.length / PPN) * 2);
    for (let i = 0, j = 0; i < nodes.length; i += PPN, j += 2) {
      positions[j] = nodes[i]!;
      positions[j + 1] = nodes[i + 1]!;
    }
    scope.postMessage({ positions, done, iterations }, [positions.buffer]);
  };

  const slice = () => {
    const sliceEnd = performance.now() + 40;
    do {
      iterate(settings, nodes, edges);
      iterations++;
    } while (performance.now() < sliceEnd);
    const now = performance.now();
    if (now >= deadline) {
      post(true);
      return;
    }
    if (now - lastPost >= job.postEveryMs) {
      post(false);
      lastPost = now;
    }
    timer = setTimeout(slice, 0);
  };
  timer = setTimeout(slice, 0);

  return {
    stop: () => {
      clearTimeout(timer);
      post(true);
    },
  };
}
