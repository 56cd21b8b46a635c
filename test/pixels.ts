/** Variance of a pixel buffer's values (all channels): near 0 for a blank image. */
export function pixelValueVariance(data: Uint8Array): number {
  let sum = 0;
  let sq = 0;
  for (const v of data) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / data.length;
  return sq / data.length - mean * mean;
}
