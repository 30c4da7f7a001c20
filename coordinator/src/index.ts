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
export { formatRoundLine, formatWarningLines, metricCell, NOT_MEASURED } from './reports/round-line.ts';
export { runPlan } from './reports/run-plan.ts';
export { segmentationPlan, segmentationRoundBudget } from './segmentation/segmentation-task.ts';
export { COORDINATOR_KEY_FILE, loadOrCreateCoordinatorKey, roundOpenSigner, type CoordinatorKey } from './signing/coordinator-key.ts';
export * from './models/member-model-file.ts';
export { readTaskFile } from './cli/task-file.ts';
export { noModelError } from './reports/no-model.ts';
export * from './audit/index.ts';
