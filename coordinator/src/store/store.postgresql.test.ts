// Runs the Store contract against PostgreSQL on 127.0.0.1:5432 (or CONSORT_TEST_PG_URL) in throw-away databases.
import { storeContract } from '../../test-support/store-contract.ts';
import { postgresHarness } from '../../test-support/store-harness.ts';

storeContract(postgresHarness());
