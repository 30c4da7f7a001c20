// Public surface of @consort/client-sdk: the member agent, its identity, data and training.
export * from './agent/agent.ts';
export * from './agent/enroll.ts';
export * from './agent/member-client.ts';
export * from './agent/local-work.ts';
export * from './identity/member-identity.ts';
export * from './train/backend.ts';
export * from './train/tf-model.ts';
export * from './train/trainer.ts';
export * from './data/csv-table.ts';
export * from './onnx/export-model.ts';
export * from './onnx/scorer.ts';
export * from './onnx/score-bench.ts';
export { registerScoreCommand } from './cli/score-command.ts';
