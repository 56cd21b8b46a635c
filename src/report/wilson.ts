/**
 * Wilson score interval for a binomial proportion (Wilson 1927). Unlike the
 * normal approximation it stays inside [0, 1] and is honest at 0 or n
 * successes and for small n, which is what grasp success rates need.
 * z = 1.959964 gives the 95% interval.
 */
export function wilsonInterval(successes: number, trials: number, z = 1.959963984540054): [number, number] {
  if (!Number.isInteger(successes) || !Number.isInteger(trials) || trials < 0 || successes < 0 || successes > trials) {
    throw new RangeError(`wilsonInterval: need 0 <= successes <= trials, got ${successes}/${trials}`);
  }
  if (trials === 0) return [0, 1];
  const p = successes / trials;
  const z2 = z * z;
  const denom = 1 + z2 / trials;
  const center = (p + z2 / (2 * trials)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denom;
  return [Math.max(0, center - half), Math.min(1, center + half)];
}
