// Loss helpers in plain float64 JS, matching what the trainers optimise (for reports and tests).

/** Probabilities are clipped to [ε, 1-ε] before the log, as TF.js/Keras do. */
export const LOG_LOSS_EPSILON = 1e-7;

/** Binary cross-entropy of one probability. */
export function binaryLogLoss(p: number, y: number): number {
  const q = Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, p));
  return -(y * Math.log(q) + (1 - y) * Math.log(1 - q));
}

/** Binary cross-entropy from a logit z (numerically stable: softplus(z) - y·z). */
export function logLossFromLogit(z: number, y: number): number {
  return Math.max(z, 0) - y * z + Math.log1p(Math.exp(-Math.abs(z)));
}

/** Σ binary cross-entropy over examples. */
export function logLossSum(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (probabilities.length !== labels.length) throw new RangeError(`logLossSum: ${probabilities.length} scores but ${labels.length} labels`);
  let s = 0;
  for (let i = 0; i < labels.length; i++) s += binaryLogLoss(probabilities[i], labels[i]);
  return s;
}

/** Mean binary cross-entropy (NaN for no examples). */
export function meanLogLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  return logLossSum(probabilities, labels) / labels.length;
}

/** Σ squared error (regression tasks). */
export function squaredErrorSum(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  if (predictions.length !== targets.length) throw new RangeError(`squaredErrorSum: ${predictions.length} predictions but ${targets.length} targets`);
  let s = 0;
  for (let i = 0; i < targets.length; i++) s += (predictions[i] - targets[i]) ** 2;
  return s;
}

/** Logistic function, stable for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
