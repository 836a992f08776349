export {
  CONTRACT_SEED,
  type ContractService,
  documentTextOf,
  type GraphServiceContractOptions,
  type OpenedService,
  readerOf,
  runGraphServiceContract,
} from "./graph-service-contract.ts";
export { RecordingStorage, type RecordingStorageOptions, type StorageCall } from "./recording-storage.ts";
export { runStorageContract, type StorageContractOptions } from "./storage-contract.ts";
