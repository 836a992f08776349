export { FsAppendLog } from "./append-log.ts";
export { STREAM_CHUNK_BYTES } from "./file-stream.ts";
export {
  type FsDirEntry,
  type FsFileHandle,
  type FsOps,
  type FsStat,
  nodeFsOps,
  type OpenFlags,
} from "./fs-ops.ts";
export { FsStorage, type FsStorageOptions } from "./fs-storage.ts";
export { nodeSha256 } from "./node-hasher.ts";
export { LOCK_STALE_AFTER_MS, LOCK_WAIT_MS, type LockWait, type WriterLockInfo } from "./writer-lock.ts";
