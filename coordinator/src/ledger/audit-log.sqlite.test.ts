// Runs the audit log contract against SQLite (libsql) in temporary files.
import { sqliteHarness } from '../../test-support/store-harness.ts';
import { auditLogContract } from '../../test-support/audit-log-contract.ts';

auditLogContract(sqliteHarness());
