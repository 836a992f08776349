import { runStorageContract } from "../testing/storage-contract.ts";
import { MemoryStorage } from "./memory-storage.ts";

runStorageContract("MemoryStorage", { create: () => new MemoryStorage() });
