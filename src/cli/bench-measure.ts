/**
 * How every `pincer bench` command measures: wall and CPU time together (the
 * machine is shared, and CPU time moves less with other load), one rounding
 * for JSON, and the machine's load under one field name, `load_average_1m`:
 * the 1-minute load average at the start and at the end of the run, so a
 * figure can be read against how busy the cores were.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { median, roundTo } from '../report/index.js';

/** `x` to `digits` decimals for bench JSON (3 by default: microseconds in ms figures). */
export const round = (x: number, digits = 3): number => roundTo(x, digits);

/** A moment or a duration: wall clock and this process's CPU time (user + system), ms. */
export interface Clock {
  wall: number;
  cpu: number;
}

/** Now, on both clocks. */
export function clock(): Clock {
  const c = process.cpuUsage();
  return { wall: performance.now(), cpu: (c.user + c.system) / 1000 };
}

/** Time since `start` (a `clock()` reading), ms on both clocks. */
export function since(start: Clock): Clock {
  const now = clock();
  return { wall: now.wall - start.wall, cpu: now.cpu - start.cpu };
}

/** Median wall and CPU ms of one call of `run` over `iters` calls, after `warmup` untimed ones (shader compile, JIT). */
export async function medianTime(iters: number, warmup: number, run: () => void | Promise<void>): Promise<Clock> {
  for (let i = 0; i < warmup; i++) await run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t = clock();
    await run();
    const d = since(t);
    wall.push(d.wall);
    cpu.push(d.cpu);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/** The load field of every bench JSON. */
export interface LoadField {
  /** 1-minute load average at the start and at the end of the bench. */
  load_average_1m: [number, number];
}

/** Note the load now; `end()` gives the bench's load field. Call it when the bench starts. */
export function trackLoad(): { end(): LoadField } {
  const start = round(loadavg()[0], 2);
  return { end: () => ({ load_average_1m: [start, round(loadavg()[0], 2)] }) };
}

/** Linux's USER_HZ: the unit of the CPU times in /proc/<pid>/stat (100 on every mainstream kernel build). */
const CLOCK_TICKS_PER_S = 100;

/**
 * CPU time (user + system), ms, of every live process descended from this one,
 * e.g. a launched browser with its GPU and renderer processes. Read from
 * /proc, so Linux only; elsewhere 0.
 */
export function descendantsCpuMs(): number {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return 0;
  }
  const parent = new Map<number, number>();
  const cpuMs = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name, which may itself hold spaces and parentheses: state, ppid, … utime (14th field), stime (15th).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(pid), Number(fields[1]));
      cpuMs.set(Number(pid), ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S);
    } catch {
      // The process ended while we read.
    }
  }
  const isDescendant = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  let total = 0;
  for (const [pid, ms] of cpuMs) if (isDescendant(pid)) total += ms;
  return total;
}
