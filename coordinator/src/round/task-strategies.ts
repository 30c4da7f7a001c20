// One aggregation strategy per task, restored after a restart from the state saved with the task's latest model.
import { createStrategy, type StatefulStrategy, type StrategyState, type TaskDefinition } from '@consort/core';

export class TaskStrategies {
  private readonly strategies = new Map<string, StatefulStrategy>();

  /** The task's strategy; a new one resumes from `saved` (the optimizer state last stored). */
  for(taskId: string, def: TaskDefinition, saved: StrategyState | undefined): StatefulStrategy {
    let s = this.strategies.get(taskId);
    if (!s) {
      s = createStrategy(def.strategy);
      if (saved) s.restore(saved);
      this.strategies.set(taskId, s);
    }
    return s;
  }
}
