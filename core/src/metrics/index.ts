// Metrics barrel: AUC (exact and from histograms) and loss helpers.
export * from './auc.ts';
export * from './loss.ts';
export * from './from-histograms.ts';
