/** The gripper's state as the live and replay panels list it. */
import { fmt } from './dom.js';

/**
 * Label/value rows of a state vector in env's STATE_NAMES order: aperture, closed and
 * height, then x, y and yaw when it holds them (a dataset collected before they were
 * recorded has 3 values).
 */
export function gripperRows(state: ArrayLike<number>): [string, string][] {
  const rows: [string, string][] = [
    ['aperture', `${fmt(state[0] * 100, 1)} cm`],
    ['closed', state[1] > 0.5 ? 'yes' : 'no'],
    ['height', `${fmt(state[2] * 100, 1)} cm`],
  ];
  if (state.length > 3) rows.push(['x, y', `${fmt(state[3] * 100, 1)}, ${fmt(state[4] * 100, 1)} cm`], ['yaw', `${fmt((state[5] * 180) / Math.PI, 0)}°`]);
  return rows;
}
