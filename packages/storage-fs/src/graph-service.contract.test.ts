import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GraphStore } from "@dawsos/core";
import { runGraphServiceContract } from "@dawsos/core/testing";
import { FsStorage } from "./fs-storage.ts";
import { nodeSha256 } from "./node-hasher.ts";

runGraphServiceContract("GraphStore over FsStorage (real files, fsync, the writer lock)", {
  async open(seed, clock) {
    const dir = await mkdtemp(join(tmpdir(), "dawsos-service-contract-"));
    const storage = await FsStorage.open(dir, { lock: true, lockWaitMs: 0 });
    const service = await GraphStore.open(storage, { seed, clock, hasher: nodeSha256 });
    const readers: FsStorage[] = [];
    return {
      service,
      // The directory has one writer: a second instance is a reader, as `dawsos verify` is.
      async reopen() {
        const reader = await FsStorage.open(dir);
        readers.push(reader);
        return GraphStore.open(reader, { seed, clock, hasher: nodeSha256, readOnly: true });
      },
      async dispose() {
        await service.close().catch(() => undefined);
        for (const reader of readers) await reader.close();
        await storage.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});
