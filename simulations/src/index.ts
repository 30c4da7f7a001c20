// Public surface of @consort/simulations: synthetic consortia, scenarios, benchmarks.
export * from './generator/index.ts';
export * from './scenario/local-federation.ts';
export * from './scenario/round-table.ts';
