// The coordinator's persistence layer: the Store contract and how to open one.
export type * from './store.ts';
export { openStore, DEFAULT_DATABASE_URL, type OpenStoreOptions } from './open-store.ts';
