// Prisma CLI configuration: picks the SQLite or PostgreSQL schema and migrations from DATABASE_URL.
// The coordinator itself never needs the CLI (src/store/migrate.ts applies the SQL files at start);
// this file lets a machine with the native schema engine use plain Prisma (`migrate diff`, `studio`).
import { defineConfig } from 'prisma/config';

// Not env('DATABASE_URL'): that throws during `prisma generate` when the variable is unset.
const url = process.env.DATABASE_URL ?? 'file:./.consort/consort.db';
const provider = /^postgres(ql)?:\/\//.test(url) ? 'postgresql' : 'sqlite';

export default defineConfig({
  schema: `prisma/${provider}/schema.prisma`,
  migrations: { path: `prisma/migrations/${provider}` },
  datasource: { url },
});
