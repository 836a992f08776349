/** Test doubles for the filesystem adapter: `@dawsos/storage-fs/testing`. */
export {
  type FaultCode,
  type FaultRule,
  FaultyFs,
  type FaultyFsOptions,
  type FsLogEntry,
  type FsOpName,
  fsError,
} from "./faulty-fs.ts";
