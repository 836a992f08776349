export { runStorageContract, type StorageContractOptions } from "./storage-contract.ts";
