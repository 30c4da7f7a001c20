// Public surface of @consort/core: pure logic shared by the coordinator and the members.
export * from './errors/consort-error.ts';
export * from './errors/error-text.ts';
export * from './round/round-machine.ts';
export * from './auth/request-signing.ts';
export * from './aggregate/weighted-sum.ts';
export * from './aggregate/strategy.ts';
export * from './task/task-definition.ts';
export * from './secagg/index.ts';
export * from './random/seeded-random.ts';
export * from './model/model-spec.ts';
export * from './features/pipeline.ts';
export * from './metrics/index.ts';
export * from './aggregate/round-vector.ts';
export * from './aggregate/strategies/index.ts';
export * from './segmentation/index.ts';
export { sign as signEd25519, verify } from './crypto/ed25519.ts';
export * from './cli/option-values.ts';
