// The HTTP API suite on PostgreSQL (fails, never skips, when the server is down).
import { postgresDatabase } from './support/databases.ts';
import { httpApiSuite } from './http-api.suite.ts';

httpApiSuite({ name: 'postgresql', create: postgresDatabase });
