export { BucketLayoutWriter, type BucketLayoutWriterOptions } from "./bucket-layout-writer.ts";
export { BUCKET_GRAPH_STORE_OBJECTS } from "./fixtures/bucket-graph-store-objects.ts";
export {
  CONTRACT_SEED,
  type ContractService,
  documentTextOf,
  type GraphServiceContractOptions,
  type OpenedService,
  readerOf,
  runGraphServiceContract,
} from "./graph-service-contract.ts";
export {
  HOSTILE_DATA,
  LEGACY_COMPACT_AFTER,
  LEGACY_SCENARIO_START,
  LEGACY_SEED,
  LONE_SURROGATE_ID,
  ROCKET_ID,
  runLegacyScenario,
} from "./legacy-bucket-scenario.ts";
export { RecordingStorage, type RecordingStorageOptions, type StorageCall } from "./recording-storage.ts";
export { runStorageContract, type StorageContractOptions } from "./storage-contract.ts";
