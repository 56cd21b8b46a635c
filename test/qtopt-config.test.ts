/**
 * QtOptConfig: the documented defaults, nested partial overrides, one-line
 * errors naming the field (unknown keys, bad values, inconsistent settings),
 * freezing, and config differences for --resume.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson, configDifferences, QTOPT_DEFAULTS, resolveQtOptConfig } from '../src/qtopt/config.js';
import { ConfigError } from '../src/rl/index.js';

describe('QtOptConfig', () => {
  it('defaults are the documented ones (QT-Opt CEM 64/6/2, γ 0.9, log loss, clipped double Q, 64×64)', () => {
    const c = QTOPT_DEFAULTS;
    expect([c.cem.samples, c.cem.elites, c.cem.iterations]).toEqual([64, 6, 2]);
    expect(c.cem.initialMean).toEqual([0, 0, -1, 0, 0, 0]);
    expect(c.cem.minVariance).toBe(1e-4);
    expect(c.bellman.gamma).toBe(0.9);
    expect(c.bellman.clippedDoubleQ).toBe(true);
    expect(c.bellman.targetNetworks).toBe(true);
    expect(c.bellman.argmax).toBe('cem');
    expect(c.bellman.randomActions).toBe(16);
    expect(c.optimizer.loss).toBe('log');
    expect(c.replay.batchSize).toBe(32);
    expect([c.network.imageHeight, c.network.imageWidth, c.network.imageChannels]).toEqual([64, 64, 3]);
    expect(c.network.stateDim).toBe(3);
    expect(c.network.actionDim).toBe(6);
  });

  it("picks a* with the first delayed net (QT-Opt's two encoders) under clipped double Q, and with the target net otherwise, unless told", () => {
    expect(QTOPT_DEFAULTS.bellman.argmaxNet).toBe('delayed');
    expect(resolveQtOptConfig({ bellman: { clippedDoubleQ: false } }).bellman.argmaxNet).toBe('target');
    expect(resolveQtOptConfig({ bellman: { argmaxNet: 'target' } }).bellman.argmaxNet).toBe('target');
    expect(configDifferences(resolveQtOptConfig({ bellman: { argmaxNet: 'target' } }), QTOPT_DEFAULTS)).toEqual(['bellman.argmaxNet']);
  });

  it('fills the rest of a section around a partial override', () => {
    const c = resolveQtOptConfig({ bellman: { gamma: 0.8 }, cem: { iterations: 3 } });
    expect(c.bellman.gamma).toBe(0.8);
    expect(c.bellman.nStep).toBe(1);
    expect(c.cem.iterations).toBe(3);
    expect(c.cem.samples).toBe(64);
    expect(c.optimizer).toEqual(QTOPT_DEFAULTS.optimizer);
  });

  it('is frozen all the way down', () => {
    expect(Object.isFrozen(QTOPT_DEFAULTS.network.convs[0])).toBe(true);
    expect(() => {
      (QTOPT_DEFAULTS.bellman as { gamma: number }).gamma = 0.5;
    }).toThrow(TypeError);
  });

  const rejects: [string, unknown, RegExp][] = [
    ['an unknown top-level key', { gama: 1 }, /^run\.json: unknown key gama$/],
    ['an unknown nested key', { bellman: { gama: 1 } }, /^run\.json: bellman: unknown key gama$/],
    ['a value out of range', { bellman: { gamma: 1.5 } }, /^run\.json: bellman\.gamma: /],
    ['a wrong type', { cem: { samples: 'many' } }, /^run\.json: cem\.samples: /],
    ['clipped double Q without target nets', { bellman: { targetNetworks: false } }, /^run\.json: bellman\.clippedDoubleQ: needs bellman\.targetNetworks/],
    ['a* from the delayed net without clipped double Q', { bellman: { clippedDoubleQ: false, argmaxNet: 'delayed' } }, /^run\.json: bellman\.argmaxNet: 'delayed' needs bellman\.clippedDoubleQ/],
    ['Polyak averaging without target nets', { bellman: { clippedDoubleQ: false, targetNetworks: false, targetUpdateTau: 0.01 } }, /^run\.json: bellman\.targetUpdateTau: needs bellman\.targetNetworks/],
    ['more elites than samples', { cem: { samples: 8, elites: 9 } }, /^run\.json: cem\.elites: must be ≤ cem\.samples \(8\)$/],
    ['an initial mean of the wrong length', { cem: { initialMean: [0, 0, -1] } }, /^run\.json: cem\.initialMean: needs 6 values/],
    ['an action size other than the env’s', { network: { actionDim: 5 }, cem: { initialMean: [0, 0, 0, 0, 0], initialStd: [1, 1, 1, 1, 1] } }, /^run\.json: network\.actionDim: must be ACTION_DIM \(6\)/],
    ['learning before a batch fits', { train: { learningStarts: 10 } }, /^run\.json: train\.learningStarts: must be ≥ replay\.batchSize \(32\)$/],
    ['penalty contrasts in a batch of one', { optimizer: { conservativeContrasts: 4 }, replay: { batchSize: 1 }, train: { learningStarts: 1 } }, /^run\.json: optimizer\.conservativeContrasts: needs replay\.batchSize ≥ 2/],
    ['a penalty over no actions', { optimizer: { conservativeWeight: 1, conservativeActions: 0 } }, /^run\.json: optimizer\.conservativeWeight: needs conservativeActions or conservativeContrasts > 0$/],
    ['a pool window of 0', { network: { convs: [{ filters: 8, kernelSize: 3, stride: 1, pool: 0 }] } }, /^run\.json: network\.convs\.0\.pool: /],
    ['a lookup without the palm’s x, y', { network: { lookup: {} } }, /^run\.json: network\.lookup: needs network\.stateDim 6/],
    ['a lookup of a layer the network lacks', { network: { stateDim: 6, lookup: { layers: [3] } } }, /^run\.json: network\.lookup\.layers: must index network\.convs \(0…2\)$/],
    ['a replay too small for the n-step chain', { replay: { capacity: 4 }, bellman: { nStep: 3 } }, /^run\.json: replay\.capacity: must exceed bellman\.nStep \+ 1 \(4\)$/],
  ];
  for (const [what, input, message] of rejects) {
    it(`rejects ${what} with a one-line ConfigError naming the field`, () => {
      let error: unknown;
      try {
        resolveQtOptConfig(input, 'run.json');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    });
  }

  it('accepts the ablations: one target net, no target net, a random-action max', () => {
    expect(resolveQtOptConfig({ bellman: { clippedDoubleQ: false } }).bellman.clippedDoubleQ).toBe(false);
    expect(resolveQtOptConfig({ bellman: { clippedDoubleQ: false, targetNetworks: false } }).bellman.targetNetworks).toBe(false);
    expect(resolveQtOptConfig({ bellman: { argmax: 'random' } }).bellman.argmax).toBe('random');
  });

  it('names the fields in which two configs differ, and serialises equal configs equally', () => {
    const a = resolveQtOptConfig({});
    const b = resolveQtOptConfig({ bellman: { gamma: 0.8 }, network: { convs: [{ filters: 8, kernelSize: 3, stride: 2 }] } });
    expect(configDifferences(a, b)).toEqual(['bellman.gamma', 'network.convs']);
    expect(configDifferences(a, resolveQtOptConfig(JSON.parse(JSON.stringify(a))))).toEqual([]);
    const reordered = JSON.parse(JSON.stringify({ train: a.train, network: a.network, cem: a.cem, bellman: a.bellman, optimizer: a.optimizer, replay: a.replay, exploration: a.exploration }));
    expect(canonicalJson(reordered)).toBe(canonicalJson(a));
  });
});
