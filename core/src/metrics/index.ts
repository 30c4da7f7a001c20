// Metrics barrel: AUC (exact and from histograms), loss helpers and named round warnings.
export * from './auc.ts';
export * from './loss.ts';
export * from './from-histograms.ts';
export * from './warnings.ts';
export * from './round-warnings.ts';
export * from './regression.ts';
