// One strategy per task (sampling, training and evaluation halves), restored after a restart from the task's saved optimizer state.
import { RoundStrategy, TRAINING_DEFAULTS, createStrategy, type ResolvedTask, type StrategyState } from '@consort/core';

export class TaskStrategies {
  private readonly strategies = new Map<string, RoundStrategy>();

  /** The task's strategy; a new one resumes from `saved` (the optimizer state last stored). */
  for(taskId: string, def: ResolvedTask, saved: StrategyState | undefined): RoundStrategy {
    let s = this.strategies.get(taskId);
    if (!s) {
      // A segmentation task trains nothing: its statistics round asks every member, with the defaults.
      const model = def.kind === 'model' ? def : undefined;
      s = new RoundStrategy(createStrategy(model?.strategy ?? TRAINING_DEFAULTS.strategy), { fraction: model?.sampleFraction ?? 1, minMembers: def.minMembers, seed: def.seed });
      if (saved) s.restore(saved);
      this.strategies.set(taskId, s);
    }
    return s;
  }
}
