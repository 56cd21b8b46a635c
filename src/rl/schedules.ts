/**
 * Schedules: pure functions from a step count to a value (ε for exploration,
 * the learning rate, PER's β). Steps are counted by the caller (env steps for ε,
 * learner steps for the learning rate and β); past `steps` a schedule holds its
 * end value.
 */

/** A value as a function of a non-negative step count. */
export type Schedule = (step: number) => number;

export type ScheduleKind = 'constant' | 'linear' | 'exponential' | 'cosine';

/** Fraction of the schedule done, clamped to [0, 1]; a zero-length schedule is done at once. */
function progress(step: number, steps: number): number {
  if (steps <= 0) return 1;
  return Math.min(Math.max(step / steps, 0), 1);
}

export function constantSchedule(value: number): Schedule {
  return () => value;
}

/** Straight line from `start` at step 0 to `end` at `steps` (Dopamine's linearly_decaying_epsilon without warm-up). */
export function linearSchedule(start: number, end: number, steps: number): Schedule {
  return (step) => start + (end - start) * progress(step, steps);
}

/**
 * Geometric interpolation: start · (end/start)^(t/steps), so the value shrinks by
 * the same factor each step and reaches `end` exactly at `steps`. Needs start, end > 0.
 */
export function exponentialSchedule(start: number, end: number, steps: number): Schedule {
  if (!(start > 0 && end > 0)) throw new RangeError(`exponentialSchedule: start and end must be > 0, got ${start}, ${end}`);
  const ratio = end / start;
  return (step) => start * Math.pow(ratio, progress(step, steps));
}

/** Half a cosine from `start` to `end` (Loshchilov & Hutter 2017, SGDR, without restarts). */
export function cosineSchedule(start: number, end: number, steps: number): Schedule {
  return (step) => end + ((start - end) * (1 + Math.cos(Math.PI * progress(step, steps)))) / 2;
}

/** A schedule by name; `constant` ignores `end` and `steps`. */
export function makeSchedule(kind: ScheduleKind, start: number, end: number, steps: number): Schedule {
  switch (kind) {
    case 'constant':
      return constantSchedule(start);
    case 'linear':
      return linearSchedule(start, end, steps);
    case 'exponential':
      return exponentialSchedule(start, end, steps);
    case 'cosine':
      return cosineSchedule(start, end, steps);
  }
}
