import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runStorageContract } from "@dawsos/core/testing";
import { FsStorage } from "./fs-storage.ts";

const dirs = new WeakMap<object, string>();

runStorageContract("FsStorage", {
  async create() {
    const dir = await mkdtemp(join(tmpdir(), "dawsos-fs-contract-"));
    const storage = await FsStorage.open(dir);
    dirs.set(storage, dir);
    return storage;
  },
  async dispose(storage) {
    const dir = dirs.get(storage);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  },
});
