// Public surface of @consort/coordinator.
export * from './coordinator.ts';
export * from './round/round-runner.ts';
export * from './errors/error-catalog.ts';
export * from './task/task-service.ts';
export * from './federation/enrollment.ts';
export { openStore } from './store/open-store.ts';
export type { Store } from './store/store.ts';
export { AdminClient } from './cli/admin-client.ts';
export { renderRoundsReport } from './reports/rounds-report.ts';
export { escapeHtml } from './reports/html.ts';
export { readTaskFile } from './cli/task-file.ts';
