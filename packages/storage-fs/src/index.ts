export {
  type FaultCode,
  type FaultRule,
  FaultyFs,
  type FaultyFsOptions,
  type FsLogEntry,
  type FsOpName,
  fsError,
} from "./faulty-fs.ts";
export { type FsDirEntry, type FsFileHandle, type FsOps, type FsStat, nodeFsOps } from "./fs-ops.ts";
export { FsStorage, type FsStorageOptions } from "./fs-storage.ts";
export { nodeSha256 } from "./node-hasher.ts";
