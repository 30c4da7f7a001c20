// Runs the audit log contract against PostgreSQL on 127.0.0.1:5432 (or CONSORT_TEST_PG_URL).
import { postgresHarness } from '../../test-support/store-harness.ts';
import { auditLogContract } from '../../test-support/audit-log-contract.ts';

auditLogContract(postgresHarness());
