// The strategy factory: options in, a configured (and schedule-wrapped) strategy out.
import { FedAvg } from '../strategy.ts';
import { FedAdam, FedAvgM, FedYogi } from './server-optimizers.ts';
import { LrScheduled } from './lr-schedule.ts';
import { resolveStrategyOptions, type StrategyOptions } from './strategy-options.ts';
import type { StatefulStrategy } from './stateful.ts';

/**
 * Builds the strategy named by `options` with every default from STRATEGY_DEFAULTS. The result
 * is always a StatefulStrategy (FedAvg's state is `{}`) wrapped in the local learning-rate
 * schedule (constant by default), so the coordinator handles every strategy the same way.
 * Throws ConsortError(INVALID_ARGUMENT) naming the first bad option.
 */
export function createStrategy(options: StrategyOptions): StatefulStrategy {
  const resolved = resolveStrategyOptions(options);
  switch (resolved.name) {
    case 'fedavg':
      return new LrScheduled(new FedAvg(), resolved.lrSchedule);
    case 'fedavgm':
      return new LrScheduled(new FedAvgM(resolved), resolved.lrSchedule);
    case 'fedadam':
      return new LrScheduled(new FedAdam(resolved), resolved.lrSchedule);
    case 'fedyogi':
      return new LrScheduled(new FedYogi(resolved), resolved.lrSchedule);
  }
}
