export { RecordingStorage, type RecordingStorageOptions, type StorageCall } from "./recording-storage.ts";
export { runStorageContract, type StorageContractOptions } from "./storage-contract.ts";
