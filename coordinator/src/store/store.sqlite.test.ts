// Runs the Store contract against SQLite (libsql) in temporary files.
import { storeContract } from '../../test-support/store-contract.ts';
import { sqliteHarness } from '../../test-support/store-harness.ts';

storeContract(sqliteHarness());
