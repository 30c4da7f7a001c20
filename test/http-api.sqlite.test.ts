// The HTTP API suite on SQLite.
import { sqliteDatabase } from './support/databases.ts';
import { httpApiSuite } from './http-api.suite.ts';

httpApiSuite({ name: 'sqlite', create: async () => sqliteDatabase() });
