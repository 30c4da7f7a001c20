// Simulated members that misbehave, as local work plugged into MemberAgent({ localWork }) instead of test hooks in the agent's options.
import { CsvLocalWork, type LocalInput, type LocalRound } from '@consort/client-sdk';
import type { ModVector, VectorLayout } from '@consort/core';
import type { RoundOpen__Output } from '@consort/protos/types/RoundOpen';

/** How a simulated member departs from the default CSV + TensorFlow.js work; unset steps behave normally. */
export interface Misbehaviour {
  /** Changes the member's input before it is sent (a bad update on purpose). */
  input?: (input: LocalInput, open: RoundOpen__Output) => LocalInput;
  /** Changes a secure round's packed vector before masking (forged inputs the sum checks must catch). */
  packed?: (vector: ModVector, layout: VectorLayout) => void;
  /** False ignores the round without a word, as a vanished member (default: every round). */
  takesPart?: (open: RoundOpen__Output) => boolean;
}

/** CsvLocalWork on `dataFile` with the given misbehaviour. */
export class MisbehavingWork extends CsvLocalWork {
  readonly takesPart?: (round: LocalRound) => boolean;
  readonly alterPacked?: (vector: ModVector, layout: VectorLayout) => void;

  constructor(dataFile: string, private readonly m: Misbehaviour) {
    super({ dataFile });
    if (m.takesPart) this.takesPart = (round) => m.takesPart!(round.open);
    if (m.packed) this.alterPacked = m.packed;
  }

  override async contribution(round: LocalRound, model: () => Promise<Float32Array>): Promise<LocalInput> {
    const input = await super.contribution(round, model);
    return this.m.input ? this.m.input(input, round.open) : input;
  }
}
