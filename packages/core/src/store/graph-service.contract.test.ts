import { MemoryStorage } from "../storage/memory-storage.ts";
import { runGraphServiceContract } from "../testing/graph-service-contract.ts";
import { GraphStore } from "./graph-store.ts";

runGraphServiceContract("GraphStore over MemoryStorage", {
  async open(seed, clock) {
    const storage = new MemoryStorage();
    return {
      service: await GraphStore.open(storage, { seed, clock }),
      // A second writer of the same storage only ever follows a closed first one.
      reopen: async () => GraphStore.open(storage, { seed, clock, readOnly: true }),
    };
  },
});
