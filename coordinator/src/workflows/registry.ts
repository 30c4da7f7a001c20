// Task kinds (and operator jobs) to the workflows that run them: a new kind is one file plus one line here.
import { ConsortError } from '@consort/core';
import type { Workflow } from './workflow.ts';
import { trainingWorkflow } from './training-workflow.ts';
import { segmentationWorkflow } from './segmentation-workflow.ts';
import { evaluatePublishedWorkflow } from './evaluate-published-workflow.ts';
import { auditWorkflow } from '../audit/audit-workflow.ts';

const WORKFLOWS: readonly Workflow[] = [
  trainingWorkflow,
  segmentationWorkflow,
  evaluatePublishedWorkflow,
  auditWorkflow,
];

/** Every registered workflow kind, for help text and errors. */
export function workflowKinds(): string[] {
  return WORKFLOWS.map((w) => w.kind);
}

/** The workflow registered as `kind`; INVALID_ARGUMENT naming the known kinds otherwise. */
export function workflowFor(kind: string): Workflow {
  const w = WORKFLOWS.find((x) => x.kind === kind);
  if (!w) throw new ConsortError('INVALID_ARGUMENT', `no workflow "${kind}"; known workflows: ${workflowKinds().join(', ')}`);
  return w;
}
