// A kind of task (or operator job) as a workflow: it sequences rounds through the one round lifecycle.
import type { Logger } from 'pino';
import type { RoundLifecycle } from '../round/lifecycle.ts';
import type { RoundReport, RunRoundsOptions } from '../round/round-types.ts';
import type { TaskStrategies } from '../round/task-strategies.ts';
import type { Store, TaskRecord } from '../store/store.ts';
import type { AuditWorkflowArgs } from '../audit/audit-workflow-args.ts';
import type { CoordinatorKey } from '../signing/coordinator-key.ts';

/** What a workflow is handed: the task, the lifecycle to run rounds through, and where reports go. */
export interface WorkflowContext {
  task: TaskRecord;
  store: Store;
  logger: Logger;
  lifecycle: RoundLifecycle;
  /** One strategy per task: server optimizers keep their state across the task's rounds. */
  strategies: TaskStrategies;
  options: RunRoundsOptions;
  /** Hands a finished round's report to the caller (and the operator's stream). */
  report(report: RoundReport): void;
  /** Workflow arguments given by the operator (e.g. `rounds`, `version`). */
  args: WorkflowArgs;
  /** The coordinator's key, which signs audit reports (absent in a runner built without one). */
  signingKey?: CoordinatorKey;
}

export interface WorkflowArgs {
  /** Most training rounds to run (default: the task's maxRounds). */
  rounds?: number;
  /** The published model version to work on (default: the latest). */
  version?: number;
  /**
   * The audit workflow's policy, declaration and signing key (coordinator/src/audit/audit-workflow.ts);
   * given to a training run, its final version is audited with them (over the task's own audit).
   */
  audit?: AuditWorkflowArgs;
}

export interface Workflow {
  /** The name the registry knows it by (the task kind, or an operator job such as "evaluate"). */
  readonly kind: string;
  /** Runs the workflow's rounds; resolves once it is done (an aborted round usually ends it). */
  run(ctx: WorkflowContext): Promise<void>;
}
