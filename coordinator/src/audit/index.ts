// Public surface of the coordinator's fairness audit: the signed report, verify, the page, storage.
export * from './audit-report.ts';
export * from './verify-audit-report.ts';
export * from './audit-html.ts';
export * from './audit-math.ts';
export * from './audit-privacy.ts';
export * from './produce-audit-report.ts';
export * from './mitigation-plan.ts';
export * from './stored-audit-reports.ts';
