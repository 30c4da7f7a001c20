// Runs the audit log contract against SQLite (libsql) in temporary files.
import { sqliteHarness } from '../store/store-harness.ts';
import { auditLogContract } from './audit-log-contract.ts';

auditLogContract(sqliteHarness());
