// Strategies beyond FedAvg: server optimizers, local learning-rate schedules, sampling, early stopping, and the round-facing wrapper.
export * from './strategy-options.ts';
export * from './stateful.ts';
export * from './server-optimizers.ts';
export * from './lr-schedule.ts';
export * from './client-sampling.ts';
export * from './early-stopping.ts';
export * from './create-strategy.ts';
export * from './round-strategy.ts';
