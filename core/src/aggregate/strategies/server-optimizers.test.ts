// FedAvgM/FedAdam/FedYogi: FedAvg equivalence, hand-computed updates, state round-trip, toy problem.
import { describe, expect, it } from 'vitest';
import { FedAvg, type AggregateInput, type Strategy } from '../strategy.ts';
import type { ModelSpec } from '../../model/model-spec.ts';
import { FedAdam, FedAvgM, FedYogi, pseudoGradient } from './server-optimizers.ts';
import { SeededRandom } from '../../random/seeded-random.ts';
import { isConsortError } from '../../errors/consort-error.ts';

const spec: ModelSpec = { kind: 'logistic', task: 'binary', inputDim: 1 };

/** The input a coordinator would hand over when the example-weighted mean of the members is `mean`. */
function inputWithMean(mean: ArrayLike<number>, totalExamples = 2): AggregateInput {
  return { weightedSum: Float64Array.from(mean, (x) => x * totalExamples), totalExamples, contributions: 2 };
}

function randomRound(rng: SeededRandom, d: number): AggregateInput {
  const weightedSum = new Float64Array(d);
  let totalExamples = 0;
  for (let k = 0; k < 4; k++) {
    const n = 1 + rng.int(500);
    for (let i = 0; i < d; i++) weightedSum[i] += n * rng.normal(0, 1);
    totalExamples += n;
  }
  return { weightedSum, totalExamples, contributions: 4 };
}

describe('pseudo-gradient', () => {
  it('is the example-weighted mean minus the global model', () => {
    const delta = pseudoGradient(Float32Array.of(1, -1), { weightedSum: Float64Array.of(9, 3), totalExamples: 3, contributions: 2 });
    expect(Array.from(delta)).toEqual([2, 2]);
  });

  it('rejects a wrong length and an empty round with codes', () => {
    const codes: string[] = [];
    for (const input of [{ weightedSum: new Float64Array(3), totalExamples: 1, contributions: 1 }, { weightedSum: new Float64Array(2), totalExamples: 0, contributions: 0 }]) {
      try { new FedAdam().aggregateTrain(new Float32Array(2), input); } catch (e) { if (isConsortError(e)) codes.push(e.code); }
    }
    expect(codes).toEqual(['UPDATE_SHAPE_MISMATCH', 'INVALID_ARGUMENT']);
  });
});

describe('FedAvgM', () => {
  it('with β = 0 and η = 1 gives exactly FedAvg, round after round', () => {
    const rng = new SeededRandom(11);
    const fedavg = new FedAvg();
    const fedavgm = new FedAvgM({ momentum: 0, serverLearningRate: 1 });
    let a: Float32Array = Float32Array.from({ length: 257 }, () => rng.normal());
    let b: Float32Array = Float32Array.from(a);
    for (let round = 0; round < 5; round++) {
      const input = randomRound(rng, a.length);
      a = fedavg.aggregateTrain(a, input);
      b = fedavgm.aggregateTrain(b, input);
      expect(Array.from(b)).toEqual(Array.from(a));
    }
  });

  it('accumulates momentum: v ← βv + Δ, w ← w + ηv', () => {
    const s = new FedAvgM({ momentum: 0.5, serverLearningRate: 2 });
    const w1 = s.aggregateTrain(Float32Array.of(0), inputWithMean([1]));
    expect(w1[0]).toBe(2); // v = 1, w = 0 + 2·1
    const w2 = s.aggregateTrain(w1, inputWithMean([3]));
    expect(w2[0]).toBe(5); // Δ = 1, v = 0.5·1 + 1 = 1.5, w = 2 + 2·1.5
    expect(s.state()).toEqual({ steps: 2, velocity: [1.5] });
  });
});

describe('FedAdam and FedYogi against a hand-computed example (η = 1, β1 = β2 = 0.5, τ = 0.5)', () => {
  const options = { serverLearningRate: 1, beta1: 0.5, beta2: 0.5, tau: 0.5 };
  // Round 1: w0 = (0, 0), mean = (1, −2), so Δ1 = (1, −2) and m1 = 0.5·Δ1 = (0.5, −1); v0 = τ² = 0.25.
  // Round 2: the mean is w1 + (−1, 3), so Δ2 = (−1, 3) and m2 = 0.5·m1 + 0.5·Δ2 = (−0.25, 1).
  function twoRounds(strategy: Strategy): [Float32Array, Float32Array] {
    const w1 = strategy.aggregateTrain(Float32Array.of(0, 0), inputWithMean([1, -2]), spec);
    const w2 = strategy.aggregateTrain(w1, inputWithMean([w1[0] - 1, w1[1] + 3]), spec);
    return [w1, w2];
  }

  it('FedAdam: v ← β2·v + (1−β2)·Δ²', () => {
    const s = new FedAdam(options);
    const [w1, w2] = twoRounds(s);
    // v1 = 0.5·0.25 + 0.5·(1, 4) = (0.625, 2.125); w1 = m1 / (√v1 + 0.5)
    expect(w1[0]).toBeCloseTo(0.5 / (0.7905694150420949 + 0.5), 6);
    expect(w1[0]).toBeCloseTo(0.387425887, 6);
    expect(w1[1]).toBeCloseTo(-0.510793586, 6);
    // v2 = 0.5·v1 + 0.5·(1, 9) = (0.8125, 5.5625); w2 = w1 + m2 / (√v2 + 0.5)
    expect(w2[0]).toBeCloseTo(0.209031301, 6);
    expect(w2[1]).toBeCloseTo(-0.160959180, 6);
    const state = s.state();
    expect(state.m).toEqual([-0.25, 1]);
    expect(state.v).toEqual([0.8125, 5.5625]);
    expect(state.steps).toBe(2);
  });

  it('FedYogi: v ← v − (1−β2)·Δ²·sign(v − Δ²)', () => {
    const s = new FedYogi(options);
    const [w1, w2] = twoRounds(s);
    // v1 = 0.25 + 0.5·(1, 4) = (0.75, 2.25) since v0 < Δ1²; w1 = (0.5 / (√0.75 + 0.5), −1 / (1.5 + 0.5))
    expect(w1[0]).toBeCloseTo(0.366025404, 6);
    expect(w1[1]).toBe(-0.5);
    // v2: 0.75 < 1 so 0.75 + 0.5 = 1.25; 2.25 < 9 so 2.25 + 4.5 = 6.75
    expect(w2[0]).toBeCloseTo(0.211516907, 6);
    expect(w2[1]).toBeCloseTo(-0.177219044, 6);
    expect(s.state().v).toEqual([1.25, 6.75]);
  });

  it('FedYogi shrinks v additively when Δ² is below it (Adam forgets multiplicatively)', () => {
    const yogi = new FedYogi({ ...options, tau: 2 }); // v0 = 4
    const adam = new FedAdam({ ...options, tau: 2 });
    yogi.aggregateTrain(Float32Array.of(0), inputWithMean([1]));
    adam.aggregateTrain(Float32Array.of(0), inputWithMean([1]));
    expect(yogi.state().v).toEqual([3.5]); // 4 − 0.5·1
    expect(adam.state().v).toEqual([2.5]); // 0.5·4 + 0.5·1
  });
});

describe('state round-trip', () => {
  for (const make of [() => new FedAvgM(), () => new FedAdam(), () => new FedYogi()]) {
    it(`${make().name}: save, restore into a new object through JSON, continue = never stopped`, () => {
      const d = 64;
      const rounds = Array.from({ length: 6 }, (_, r) => randomRound(new SeededRandom(100 + r), d));
      const straight = make();
      let a: Float32Array = new Float32Array(d);
      for (const input of rounds) a = straight.aggregateTrain(a, input);

      const first = make();
      let b: Float32Array = new Float32Array(d);
      for (const input of rounds.slice(0, 3)) b = first.aggregateTrain(b, input);
      const saved = JSON.parse(JSON.stringify(first.state()));
      const resumed = make();
      resumed.restore(saved);
      for (const input of rounds.slice(3)) b = resumed.aggregateTrain(b, input);

      expect(Array.from(b)).toEqual(Array.from(a));
      expect(resumed.state()).toEqual(straight.state());
    });
  }

  it('a fresh optimizer restores its own empty state', () => {
    const s = new FedAdam();
    s.restore(new FedAdam().state());
    expect(s.state()).toEqual({ steps: 0, m: [], v: [] });
  });

  it('rejects foreign, mismatched or non-finite state naming the key', () => {
    const bad: Array<[() => void, string]> = [
      [() => new FedAdam().restore({ steps: 1, velocity: [1] }), 'velocity'],
      [() => new FedAdam().restore({ steps: 1, m: [1, 2], v: [1] }), 'v'],
      [() => new FedAvgM().restore({ steps: 1, velocity: [NaN] }), 'velocity'],
      [() => new FedYogi().restore({ steps: -1, m: [], v: [] }), 'steps'],
      [() => new FedYogi().restore({ steps: 1, m: [0], v: [-1] }), 'v'],
    ];
    for (const [f, key] of bad) {
      try { f(); expect.unreachable(); } catch (e) {
        expect(isConsortError(e, 'INVALID_ARGUMENT')).toBe(true);
        expect((e as Error).message).toContain(`"${key}"`);
      }
    }
  });

  it('refuses a model whose size differs from its state', () => {
    const s = new FedAvgM();
    s.aggregateTrain(new Float32Array(3), inputWithMean([1, 1, 1]));
    expect(() => s.aggregateTrain(new Float32Array(2), inputWithMean([1, 1]))).toThrow(/state has 3 values, model has 2/);
  });
});

describe('toy problem: quadratics with heterogeneous optima', () => {
  // Member k minimises ½ Σ_i a_ki (w_i − c_ki)² with its own optimum c_k; curvatures span 100×
  // across coordinates (ill-conditioned) and ±20% across members. Members run 5 local gradient
  // steps from the global model, as local SGD would.
  const d = 10;
  function consortium(seed: number) {
    const rng = new SeededRandom(seed);
    return Array.from({ length: 8 }, () => ({
      n: 20 + rng.int(200),
      a: Array.from({ length: d }, (_, i) => 0.01 * 100 ** (i / (d - 1)) * rng.uniform(0.8, 1.2)),
      c: Array.from({ length: d }, () => rng.normal(0, 2)),
    }));
  }
  type Members = ReturnType<typeof consortium>;

  function globalLoss(members: Members, w: ArrayLike<number>): number {
    let total = 0;
    let n = 0;
    for (const m of members) {
      let f = 0;
      for (let i = 0; i < d; i++) f += 0.5 * m.a[i] * (w[i] - m.c[i]) ** 2;
      total += m.n * f;
      n += m.n;
    }
    return total / n;
  }

  function train(strategy: Strategy, members: Members, rounds: number): number {
    let global: Float32Array = new Float32Array(d);
    for (let r = 0; r < rounds; r++) {
      const weightedSum = new Float64Array(d);
      let totalExamples = 0;
      for (const m of members) {
        const w = Float64Array.from(global);
        for (let step = 0; step < 5; step++) for (let i = 0; i < d; i++) w[i] -= 0.1 * m.a[i] * (w[i] - m.c[i]);
        for (let i = 0; i < d; i++) weightedSum[i] += m.n * w[i];
        totalExamples += m.n;
      }
      global = strategy.aggregateTrain(global, { weightedSum, totalExamples, contributions: members.length }, spec);
    }
    return globalLoss(members, global);
  }

  it('after 100 rounds FedAvgM, FedAdam and FedYogi are at most half of FedAvg\'s excess loss, on 10 consortia', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const members = consortium(seed);
      // Per-coordinate closed form of the global optimum: Σ n a c / Σ n a.
      const optimum = Array.from({ length: d }, (_, i) => {
        let num = 0;
        let den = 0;
        for (const m of members) { num += m.n * m.a[i] * m.c[i]; den += m.n * m.a[i]; }
        return num / den;
      });
      const floor = globalLoss(members, optimum);
      const excess = (s: Strategy) => train(s, members, 100) - floor;
      const fedavg = excess(new FedAvg());
      // η = 0.1 suits weights of scale ~1; the default η = 0.01 moves too little in 100 rounds here.
      for (const s of [new FedAvgM(), new FedAdam({ serverLearningRate: 0.1 }), new FedYogi({ serverLearningRate: 0.1 })]) {
        expect(excess(s), `${s.name}, consortium ${seed}`).toBeLessThan(0.5 * fedavg);
      }
    }
  });
});
