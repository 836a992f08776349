import { describe, expect, it } from "vitest";
import { UnsupportedStorageError } from "../errors/errors.ts";
import { GraphStore } from "../store/graph-store.ts";
import { RecordingStorage } from "../testing/recording-storage.ts";
import type { StorageCapabilities } from "./adapter.ts";
import { assertGraphStorage } from "./graph-capabilities.ts";
import { MemoryStorage } from "./memory-storage.ts";

const SEED = { version: 2, nodes: { A: { type: "t" } }, edges: [], patterns: {} };

/** Storage with other capability flags, to prove they are checked before any call. */
class FlaggedStorage extends RecordingStorage {
  constructor(readonly flags: Partial<StorageCapabilities>) {
    super(new MemoryStorage());
  }
  override get capabilities(): StorageCapabilities {
    return { ...this.inner.capabilities, ...this.flags };
  }
}

describe("which storage can hold the graph", () => {
  it("assertGraphStorage: strong consistency, and compare-and-swap or a durable append", () => {
    const ok = (flags: Partial<StorageCapabilities>) => {
      try {
        assertGraphStorage(new FlaggedStorage(flags));
        return "ok";
      } catch (err) {
        return (err as { code?: string }).code;
      }
    };
    expect(ok({})).toBe("ok");
    expect(ok({ conditionalWrites: false })).toBe("ok"); // the filesystem: durable append
    expect(ok({ durableAppend: false })).toBe("ok"); // R2: compare-and-swap
    expect(ok({ consistency: "eventual" })).toBe("unsupported_storage"); // Workers KV
    expect(ok({ conditionalWrites: false, durableAppend: false })).toBe("unsupported_storage");
  });

  it("GraphStore refuses eventual storage, and storage with neither compare-and-swap nor a durable append", async () => {
    for (const flags of [
      { consistency: "eventual" as const },
      { conditionalWrites: false, durableAppend: false },
    ]) {
      const flagged = new FlaggedStorage(flags);
      const attempt = GraphStore.open(flagged, { seed: SEED });
      await expect(attempt).rejects.toBeInstanceOf(UnsupportedStorageError);
      await expect(attempt).rejects.toMatchObject({ code: "unsupported_storage" });
      expect(flagged.calls).toEqual([]);
    }
    // A durable append without compare-and-swap (the filesystem) is fine for the single writer.
    const fsLike = new FlaggedStorage({ conditionalWrites: false });
    await expect(GraphStore.open(fsLike, { seed: SEED })).resolves.toBeInstanceOf(GraphStore);
  });
});
