// Public surface of @consort/simulations: synthetic consortia, scenarios, benchmarks.
export * from './generator/index.ts';
