// Differential privacy: the Rényi-DP accountant, clipping, Gaussian noise, the task's budget ledger.
export * from './rdp.ts';
export * from './clipping.ts';
export * from './gaussian-noise.ts';
export * from './distributed-noise.ts';
export * from './adaptive-clipping.ts';
export * from './privacy-ledger.ts';
export * from './privacy-options.ts';
export * from './evaluation-release.ts';
export * from './statistics-release.ts';
export * from './segmentation-release.ts';
