export {
  expirationTtlOf,
  KV_MAX_KEY_BYTES,
  KV_MIN_TTL_SECONDS,
  KvStorage,
  type KvStorageOptions,
} from "./kv-storage.ts";
export type { KvEntryMetadata, KvListKeyLike, KvListResultLike, KvNamespaceLike } from "./kv-types.ts";
export { R2Storage, type R2StorageOptions } from "./r2-storage.ts";
export type {
  ByteStreamLike,
  R2BucketLike,
  R2ConditionalLike,
  R2ListOptionsLike,
  R2MultipartUploadLike,
  R2ObjectBodyLike,
  R2ObjectLike,
  R2ObjectsLike,
  R2PutOptionsLike,
  R2UploadedPartLike,
} from "./r2-types.ts";
