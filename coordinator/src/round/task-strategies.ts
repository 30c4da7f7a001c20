// One strategy per task (sampling, training and evaluation halves), restored after a restart from the task's saved optimizer state.
import { RoundStrategy, createStrategy, type StrategyState, type TaskDefinition } from '@consort/core';

export class TaskStrategies {
  private readonly strategies = new Map<string, RoundStrategy>();

  /** The task's strategy; a new one resumes from `saved` (the optimizer state last stored). */
  for(taskId: string, def: TaskDefinition, saved: StrategyState | undefined): RoundStrategy {
    let s = this.strategies.get(taskId);
    if (!s) {
      s = new RoundStrategy(createStrategy(def.strategy), { fraction: def.sampleFraction, minMembers: def.minMembers, seed: def.seed });
      if (saved) s.restore(saved);
      this.strategies.set(taskId, s);
    }
    return s;
  }
}
