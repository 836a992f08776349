/**
 * In-process async locks. The storage directory has one writer process (the `.lock` file), so
 * ordering only needs to be enforced among the promises of this process: core's one `Mutex`.
 */
export { KeyedMutex, Mutex } from "@dawsos/core/util";
