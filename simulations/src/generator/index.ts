// Public surface of the synthetic consortium generator.
export { generateConsortium, churnRate, resolveGenerateOptions, MIN_MEMBER_ROWS, type GenerateOptions, type ResolvedGenerateOptions, type MemberDataset } from './consortium.ts';
export { writeConsortium, MANIFEST_FILE } from './write.ts';
export { churnTaskSchema, type ChurnTaskSchema } from './schema.ts';
export { churnScore, CHURN_HORIZON_DAYS, SPEND_PERIOD_DAYS, type ChurnDrivers } from './customer.ts';
export { toCsv, parseCsv, formatCsvField, type Cell } from './csv.ts';
export { Rng } from './rng.ts';
export type { MemberProfile, Archetype } from './profile.ts';
export * from './vocabulary.ts';
