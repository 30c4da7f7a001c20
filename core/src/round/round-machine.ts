// The round as a pure state machine: stages named after the secure-aggregation protocol.
//
// open -> advertise_keys -> share_keys -> masked_input -> consistency_check -> unmask
//      -> aggregated -> published;   any non-terminal state -> aborted(reason).
// A plain (debug) round skips the key stages: open -> masked_input -> aggregated.
// The coordinator persists the state before acting on a transition's effects, so a crash
// leaves a round in a known state; recovery aborts it and starts a fresh round (fresh keys).
import { ConsortError } from '../errors/consort-error.ts';
import { SECAGG_WORKING_STAGES } from '../secagg/stages.ts';

export const ROUND_STATES = [
  'open',
  ...SECAGG_WORKING_STAGES,
  'aggregated',
  'published',
  'aborted',
] as const;

export type RoundState = (typeof ROUND_STATES)[number];

export type RoundEvent =
  | { type: 'start_secure' }
  | { type: 'start_plain' }
  | { type: 'keys_advertised' }
  | { type: 'shares_routed' }
  | { type: 'inputs_closed'; secure: boolean }
  | { type: 'consistency_checked' }
  | { type: 'unmasked' }
  | { type: 'publish' }
  | { type: 'abort'; reason: string };

/** What the orchestrator must do after persisting the new state. */
export type RoundEffect =
  | 'broadcast_round_open'
  | 'broadcast_key_set'
  | 'route_shares'
  | 'request_consistency'
  | 'request_unmask'
  | 'aggregate'
  | 'store_model_version'
  | 'announce_close';

export interface Transition {
  state: RoundState;
  effects: RoundEffect[];
  reason?: string;
}

export const TERMINAL_STATES: readonly RoundState[] = ['published', 'aborted'];

/** The states of a round still under way (what crash recovery looks for). */
export const ACTIVE_ROUND_STATES: readonly RoundState[] = ROUND_STATES.filter((s) => !TERMINAL_STATES.includes(s));

/** The explicit transition table: (state, event type) -> next state and effects. */
const TABLE: Record<string, Transition> = {
  'open|start_secure': { state: 'advertise_keys', effects: ['broadcast_round_open'] },
  'open|start_plain': { state: 'masked_input', effects: ['broadcast_round_open'] },
  'advertise_keys|keys_advertised': { state: 'share_keys', effects: ['broadcast_key_set'] },
  'share_keys|shares_routed': { state: 'masked_input', effects: ['route_shares'] },
  'masked_input|inputs_closed:secure': { state: 'consistency_check', effects: ['request_consistency'] },
  'masked_input|inputs_closed:plain': { state: 'aggregated', effects: ['aggregate', 'store_model_version'] },
  'consistency_check|consistency_checked': { state: 'unmask', effects: ['request_unmask'] },
  'unmask|unmasked': { state: 'aggregated', effects: ['aggregate', 'store_model_version'] },
  'aggregated|publish': { state: 'published', effects: ['announce_close'] },
};

function key(state: RoundState, event: RoundEvent): string {
  if (event.type === 'inputs_closed') return `${state}|inputs_closed:${event.secure ? 'secure' : 'plain'}`;
  return `${state}|${event.type}`;
}

/** Applies an event to a state; throws INVALID_TRANSITION for any pair not in the table. */
export function transition(state: RoundState, event: RoundEvent): Transition {
  if (event.type === 'abort') {
    if (TERMINAL_STATES.includes(state)) {
      throw new ConsortError('INVALID_TRANSITION', `round is already ${state}; it cannot be aborted`, { state });
    }
    return { state: 'aborted', effects: ['announce_close'], reason: event.reason };
  }
  const next = TABLE[key(state, event)];
  if (!next) {
    throw new ConsortError('INVALID_TRANSITION', `event "${event.type}" is not valid in round state "${state}"`, {
      state,
      event: event.type,
    });
  }
  return { ...next, effects: [...next.effects] };
}

/** Every (state, event) pair the table accepts, for exhaustive tests and documentation. */
export function validTransitions(): { from: RoundState; event: string; to: RoundState }[] {
  return Object.entries(TABLE).map(([k, t]) => {
    const [from, event] = k.split('|') as [RoundState, string];
    return { from, event, to: t.state };
  });
}

export function isTerminal(state: RoundState): boolean {
  return TERMINAL_STATES.includes(state);
}
