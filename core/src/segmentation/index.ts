// Public surface of federated segmentation: standardization, k-means rounds, initialization, choice of k, profiles.
export * from './standardize.ts';
export * from './centralized.ts';
export * from './kmeans-protocol.ts';
export * from './init.ts';
export * from './choose-k.ts';
export * from './profiles.ts';
export * from './rounds.ts';
