// Strategy options and their defaults, resolved and validated in this one place.
import { ConsortError } from '../../errors/consort-error.ts';

export type StrategyName = 'fedavg' | 'fedavgm' | 'fedadam' | 'fedyogi';

/** How the LOCAL learning rate (TrainSettings.learningRate) changes from round to round. */
export interface LrScheduleOptions {
  /**
   * `constant` (default): the task's rate every round. `exponential`: rate · decay^(round−1).
   * `cosine`: rate · (1 + cos(π·(round−1)/rounds)) / 2, held at its round-`rounds` value afterwards.
   */
  kind: 'constant' | 'exponential' | 'cosine';
  /** Per-round factor for `exponential`, in (0, 1]. Default 0.95. */
  decay?: number;
  /** Length of the cosine in rounds, an integer ≥ 1. Required for `cosine`. */
  rounds?: number;
}

/** What `createStrategy` builds. Fields that do not apply to `name` are rejected, not ignored. */
export interface StrategyOptions {
  name: StrategyName;
  /** Server learning rate η. Default 1 for fedavgm, 0.01 for fedadam/fedyogi (Reddi et al. 2021). */
  serverLearningRate?: number;
  /** Server momentum β of fedavgm, in [0, 1). Default 0.9 (Hsu et al. 2019). */
  momentum?: number;
  /** First-moment decay β1 of fedadam/fedyogi, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Second-moment decay β2 of fedadam/fedyogi, in [0, 1). Default 0.99. */
  beta2?: number;
  /** Adaptivity τ of fedadam/fedyogi, > 0: bounds the per-coordinate step by η/τ. Default 1e-3. */
  tau?: number;
  /** Local learning-rate schedule, any strategy. Default constant. */
  lrSchedule?: LrScheduleOptions;
}

export interface MomentumOptions {
  serverLearningRate: number;
  momentum: number;
}

export interface AdaptiveOptions {
  serverLearningRate: number;
  beta1: number;
  beta2: number;
  tau: number;
}

export type ResolvedLrSchedule =
  | { kind: 'constant' }
  | { kind: 'exponential'; decay: number }
  | { kind: 'cosine'; rounds: number };

export type ResolvedStrategyOptions =
  | { name: 'fedavg'; lrSchedule: ResolvedLrSchedule }
  | ({ name: 'fedavgm'; lrSchedule: ResolvedLrSchedule } & MomentumOptions)
  | ({ name: 'fedadam' | 'fedyogi'; lrSchedule: ResolvedLrSchedule } & AdaptiveOptions);

/**
 * Every default, in one place. Server-side values follow the experiments of Reddi et al. (ICLR
 * 2021), where η ≈ 10^-2, β1 = 0.9, β2 = 0.99 and τ = 10^-3 were best or near best on most tasks,
 * and FedAvgM used η = 1, β = 0.9 (as in Hsu et al. 2019).
 */
export const STRATEGY_DEFAULTS = {
  fedavgm: { serverLearningRate: 1, momentum: 0.9 } satisfies MomentumOptions,
  fedadam: { serverLearningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3 } satisfies AdaptiveOptions,
  fedyogi: { serverLearningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3 } satisfies AdaptiveOptions,
  exponentialDecay: 0.95,
} as const;

const NAMES: readonly StrategyName[] = ['fedavg', 'fedavgm', 'fedadam', 'fedyogi'];
const KNOWN: readonly string[] = ['name', 'serverLearningRate', 'momentum', 'beta1', 'beta2', 'tau', 'lrSchedule'];
const APPLIES: Record<StrategyName, readonly string[]> = {
  fedavg: [],
  fedavgm: ['serverLearningRate', 'momentum'],
  fedadam: ['serverLearningRate', 'beta1', 'beta2', 'tau'],
  fedyogi: ['serverLearningRate', 'beta1', 'beta2', 'tau'],
};

/** Throws ConsortError(INVALID_ARGUMENT) naming the option. */
function invalidOption(option: string, message: string): never {
  throw new ConsortError('INVALID_ARGUMENT', `strategy option "${option}" ${message}`, { option });
}

function positive(option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) invalidOption(option, `must be a finite number > 0 (got ${value})`);
  return value;
}

function decayRate(option: string, value: number): number {
  // β = 1 would freeze the moment at its initial value forever.
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) invalidOption(option, `must be in [0, 1) (got ${value})`);
  return value;
}

/** FedAvgM options with defaults filled in. */
export function resolveMomentumOptions(options: Partial<MomentumOptions> = {}): MomentumOptions {
  const d = STRATEGY_DEFAULTS.fedavgm;
  return {
    serverLearningRate: positive('serverLearningRate', options.serverLearningRate ?? d.serverLearningRate),
    momentum: decayRate('momentum', options.momentum ?? d.momentum),
  };
}

/** FedAdam / FedYogi options with defaults filled in. */
export function resolveAdaptiveOptions(name: 'fedadam' | 'fedyogi', options: Partial<AdaptiveOptions> = {}): AdaptiveOptions {
  const d = STRATEGY_DEFAULTS[name];
  return {
    serverLearningRate: positive('serverLearningRate', options.serverLearningRate ?? d.serverLearningRate),
    beta1: decayRate('beta1', options.beta1 ?? d.beta1),
    beta2: decayRate('beta2', options.beta2 ?? d.beta2),
    tau: positive('tau', options.tau ?? d.tau),
  };
}

/** A local learning-rate schedule with defaults filled in (constant when omitted). */
export function resolveLrSchedule(options: LrScheduleOptions | undefined): ResolvedLrSchedule {
  if (options === undefined) return { kind: 'constant' };
  if (options === null || typeof options !== 'object') invalidOption('lrSchedule', 'must be an object like { kind: "cosine", rounds: 50 }');
  switch (options.kind) {
    case 'constant':
      if (options.decay !== undefined) invalidOption('lrSchedule.decay', 'applies to the exponential schedule only');
      if (options.rounds !== undefined) invalidOption('lrSchedule.rounds', 'applies to the cosine schedule only');
      return { kind: 'constant' };
    case 'exponential': {
      if (options.rounds !== undefined) invalidOption('lrSchedule.rounds', 'applies to the cosine schedule only');
      const decay = options.decay ?? STRATEGY_DEFAULTS.exponentialDecay;
      if (typeof decay !== 'number' || !(decay > 0 && decay <= 1)) invalidOption('lrSchedule.decay', `must be in (0, 1] (got ${decay})`);
      return { kind: 'exponential', decay };
    }
    case 'cosine': {
      if (options.decay !== undefined) invalidOption('lrSchedule.decay', 'applies to the exponential schedule only');
      // No default: the length of the cosine is the length of training, which only the task knows.
      if (!Number.isInteger(options.rounds) || (options.rounds as number) < 1) {
        invalidOption('lrSchedule.rounds', `must be an integer ≥ 1 for the cosine schedule (got ${options.rounds})`);
      }
      return { kind: 'cosine', rounds: options.rounds as number };
    }
    default:
      return invalidOption('lrSchedule.kind', `must be "constant", "exponential" or "cosine" (got ${JSON.stringify((options as { kind: unknown }).kind)})`);
  }
}

/** Validates `options` and fills in every default (STRATEGY_DEFAULTS). */
export function resolveStrategyOptions(options: StrategyOptions): ResolvedStrategyOptions {
  if (options === null || typeof options !== 'object') invalidOption('name', 'expected an options object with a name');
  if (!NAMES.includes(options.name)) invalidOption('name', `must be one of ${NAMES.join(', ')} (got ${JSON.stringify(options.name)})`);
  // A misplaced option (momentum on fedadam) is almost always a configuration mistake.
  for (const key of ['serverLearningRate', 'momentum', 'beta1', 'beta2', 'tau'] as const) {
    if (options[key] !== undefined && !APPLIES[options.name].includes(key)) invalidOption(key, `does not apply to ${options.name}`);
  }
  for (const key of Object.keys(options)) if (!KNOWN.includes(key)) invalidOption(key, 'is not a strategy option');
  const lrSchedule = resolveLrSchedule(options.lrSchedule);
  switch (options.name) {
    case 'fedavg':
      return { name: 'fedavg', lrSchedule };
    case 'fedavgm':
      return { name: 'fedavgm', lrSchedule, ...resolveMomentumOptions(options) };
    case 'fedadam':
    case 'fedyogi':
      return { name: options.name, lrSchedule, ...resolveAdaptiveOptions(options.name, options) };
  }
}
