// Gaussian noise for DP releases, drawn from any source of standard normals (CSPRNG-backed on members, seeded in tests).

/** A source of independent standard normal samples. */
export interface NormalSource {
  /** One N(0, 1) sample. */
  standardNormal(): number;
}

/** Adds N(0, std²) independently to every entry of `v` in place; returns `v`. */
export function addGaussianNoise<T extends { length: number; [i: number]: number }>(v: T, std: number, source: NormalSource): T {
  if (!(std >= 0) || !Number.isFinite(std)) throw new RangeError(`noise std must be a finite number ≥ 0 (got ${std})`);
  if (std === 0) return v;
  for (let i = 0; i < v.length; i++) v[i] += std * source.standardNormal();
  return v;
}

/**
 * Standard normals from a stream of uniform 32-bit words (Box–Muller on 53-bit uniforms). The
 * member feeds it node:crypto random bytes; tests feed it a seeded generator.
 */
export class BoxMullerNormals implements NormalSource {
  private spare: number | null = null;

  constructor(private readonly nextUint32: () => number) {}

  private uniform(): number {
    // 53 random bits, in (0, 1]: log() never sees 0.
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo + 1) / 9007199254740992;
  }

  standardNormal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}
