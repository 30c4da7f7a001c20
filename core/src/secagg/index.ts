// Public API of secure aggregation (SecAgg, Bonawitz et al. CCS 2017; SecAgg+, Bell et al. CCS 2020).
export { SECAGG_STAGES, SECAGG_WORKING_STAGES, SECAGG_TRANSITIONS, canTransitionSecAgg, transitionSecAgg, secaggStageIndex, type SecAggStage, type SecAggWorkingStage } from './stages.ts';
export {
  resolveSecAggParams,
  validateSecAggParams,
  defaultNeighbours,
  neighboursForDropouts,
  DEFAULT_DROPOUT_TOLERANCE,
  DEFAULT_SECAGG_MIN_MEMBERS,
  DEFAULT_COMPLETE_GRAPH_MAX_MEMBERS,
  type SecAggOptions,
  type SecAggParams,
} from './params.ts';
export { zeroVector, addInto, signedAt, unsignedBigAt, wordsPerElement, type ModVector, type ModulusBits } from './mod-vector.ts';
export {
  quantize,
  dequantize,
  modulusBitsFor,
  assertNoOverflow,
  perMemberBound,
  sumCapacity,
  planLayout,
  packVector,
  unpackVector,
  cryptoRandom,
  type RandomSource,
  type HeadroomOptions,
  type QuantizeOptions,
  type Quantized,
  type SegmentSpec,
  type VectorLayout,
} from './quantize.ts';
export { addMask, expandMask } from './prg.ts';
export { generateRoundKeys, advertiseMessage, keyCommitment, commitMessage, consistencyMessage, complaintMessage, pairwiseSeed, x25519KeyProblem, type RoundKeys } from './keys.ts';
export { buildNeighbourGraph, neighboursOf, graphSeedFor, type NeighbourGraph, type GraphKeyEntry } from './graph.ts';
export { splitSecret, combineShares } from './shamir.ts';
export { sealShares, openShares, type ShareBundle } from './share-box.ts';
export type * from './messages.ts';
export { MemberSession, type MemberSessionOptions } from './member-session.ts';
export { CoordinatorSession, type Blame, type ComplaintOutcome, type CoordinatorSessionOptions, type SecAggResult } from './coordinator-session.ts';
