import { createHash } from 'node:crypto';

/**
 * Thompson sampling over message variants (issue 13): each variant's reward rate (a positive
 * reply or a meeting attributed to its send) has a Beta(1 + rewards, 1 + sends − rewards)
 * posterior. Until every variant has `minSamples` sends, traffic rotates evenly (no early lock-in
 * on noise); afterwards each pick draws one sample per variant and sends the best, except that a
 * floor of `explorationFloor` per variant is kept by picking uniformly at random with
 * probability floor × variants.
 */

export interface ArmCounts {
  sends: number;
  rewards: number;
}

export interface BanditOptions {
  /** Share of traffic each variant keeps whatever its posterior (0–0.2). */
  explorationFloor: number;
  /** Sends per variant before traffic shifts. */
  minSamples: number;
}

export const DEFAULT_BANDIT: BanditOptions = { explorationFloor: 0.02, minSamples: 20 };

export type Rng = () => number;

/** A deterministic generator (sfc32) seeded from a string: a step re-run picks the same way. */
export function rngFromKey(key: string): Rng {
  const digest = createHash('sha256').update(key).digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

function normal(rng: Rng): number {
  const u = Math.max(rng(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Gamma(shape, 1) by Marsaglia–Tsang (shape ≥ 1; boosted below 1). */
export function sampleGamma(shape: number, rng: Rng): number {
  if (shape < 1) return sampleGamma(shape + 1, rng) * Math.pow(Math.max(rng(), Number.MIN_VALUE), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(rng);
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = rng();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

export function sampleBeta(alpha: number, beta: number, rng: Rng): number {
  const x = sampleGamma(alpha, rng);
  const y = sampleGamma(beta, rng);
  return x / (x + y);
}

export interface Pick {
  index: number;
  reason: 'warmup' | 'explore' | 'thompson';
}

export function chooseArm(
  arms: readonly ArmCounts[],
  rng: Rng,
  options: BanditOptions = DEFAULT_BANDIT,
): Pick {
  if (arms.length === 0) throw new Error('no variants to choose from');
  const fewest = Math.min(...arms.map((arm) => arm.sends));
  if (fewest < options.minSamples) {
    const cold = arms.flatMap((arm, index) => (arm.sends === fewest ? [index] : []));
    return { index: cold[Math.floor(rng() * cold.length)]!, reason: 'warmup' };
  }
  if (rng() < Math.min(1, options.explorationFloor * arms.length))
    return { index: Math.floor(rng() * arms.length), reason: 'explore' };
  let best = 0;
  let bestDraw = -1;
  arms.forEach((arm, index) => {
    const draw = sampleBeta(1 + arm.rewards, 1 + Math.max(0, arm.sends - arm.rewards), rng);
    if (draw > bestDraw) {
      bestDraw = draw;
      best = index;
    }
  });
  return { index: best, reason: 'thompson' };
}

/** Wilson score interval (95%) for a rate: what the Campaigns page shows per variant. */
export function wilson(successes: number, trials: number, z = 1.96): { low: number; high: number } {
  if (trials === 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const denominator = 1 + (z * z) / trials;
  const centre = p + (z * z) / (2 * trials);
  const margin = z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials));
  return {
    low: Math.max(0, (centre - margin) / denominator),
    high: Math.min(1, (centre + margin) / denominator),
  };
}

/** P(each variant is the best) under the posteriors, by Monte Carlo: the "posterior share". */
export function posteriorShare(arms: readonly ArmCounts[], draws = 4000, seed = 'posterior'): number[] {
  const rng = rngFromKey(seed);
  const wins = arms.map(() => 0);
  for (let i = 0; i < draws; i += 1) {
    let best = 0;
    let bestDraw = -1;
    arms.forEach((arm, index) => {
      const draw = sampleBeta(1 + arm.rewards, 1 + Math.max(0, arm.sends - arm.rewards), rng);
      if (draw > bestDraw) {
        bestDraw = draw;
        best = index;
      }
    });
    wins[best]! += 1;
  }
  return wins.map((count) => count / draws);
}
