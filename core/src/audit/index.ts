// Public surface of the fairness audit: policy, layout, member vector, metrics and mitigation (all pure).
export * from './types.ts';
export * from './policy.ts';
export * from './layout.ts';
export * from './intervals.ts';
export * from './bootstrap.ts';
export * from './compute.ts';
export * from './mitigation.ts';
export * from './reweighing-round.ts';
export * from './work-order.ts';
export * from './dp-release.ts';
export * from './roc.ts';
export * from './group-thresholds.ts';
export * from './audit-limits.ts';
