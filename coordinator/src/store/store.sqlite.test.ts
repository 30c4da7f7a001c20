// Runs the Store contract against SQLite (libsql) in temporary files.
import { storeContract } from './store-contract.ts';
import { sqliteHarness } from './store-harness.ts';

storeContract(sqliteHarness());
