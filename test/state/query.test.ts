import { expect } from 'chai';
import {
  findInstance,
  instancesAt,
  liveInstances,
  nextGeneration,
  removeInstance,
  sortInstances,
  upsertInstance,
} from '../../src/state/query.js';
import { emptyState } from '../../src/state/store.js';
import type { StateFile } from '../../src/state/types.js';
import { sampleInstance } from './helpers.js';

const ns = 'local_host.ns["ns1"]';
const blue = sampleInstance(ns, { generation: 1, color: 'blue', live: true });
const green = sampleInstance(ns, { generation: 2, color: 'green', live: false, status: 'creating' });
const lb = sampleInstance('local_host.lb');
const zone = sampleInstance('local_file.zone[0]');

function stateOf(...instances: Parameters<typeof sortInstances>[0]): StateFile {
  return { ...emptyState('test'), resources: sortInstances(instances) };
}

function addresses(state: StateFile): string[] {
  return state.resources.map((r) => `${r.address}#${r.generation}`);
}

describe('state/query', () => {
  it('keeps resources sorted by address, then generation, whatever order they are added in', () => {
    let state = emptyState('test');
    for (const instance of [green, zone, blue, lb]) state = upsertInstance(state, instance);
    expect(addresses(state)).to.deep.equal([
      'local_file.zone[0]#0',
      'local_host.lb#0',
      'local_host.ns["ns1"]#1',
      'local_host.ns["ns1"]#2',
    ]);
  });

  it('replaces the record with the same address and generation, leaving the input untouched', () => {
    const before = stateOf(blue, green, lb);
    const ready = { ...green, status: 'ready' as const };
    const after = upsertInstance(before, ready);
    expect(after.resources).to.have.length(3);
    expect(findInstance(after, ns, 2)).to.equal(ready);
    expect(findInstance(before, ns, 2)).to.equal(green);
  });

  it('finds every copy at an address, oldest first, and nothing at an unknown one', () => {
    const state = stateOf(lb, green, zone, blue);
    expect(instancesAt(state, ns)).to.deep.equal([blue, green]);
    expect(instancesAt(state, 'local_host.ns')).to.deep.equal([]);
    expect(findInstance(state, ns, 3)).to.equal(undefined);
  });

  it('lists only live instances', () => {
    expect(liveInstances(stateOf(blue, green, lb)).map((r) => `${r.address}#${r.generation}`)).to.deep.equal([
      'local_host.lb#0',
      'local_host.ns["ns1"]#1',
    ]);
  });

  it('removes one copy, and returns the same state when there is nothing to remove', () => {
    const state = stateOf(blue, green, lb);
    expect(addresses(removeInstance(state, ns, 1))).to.deep.equal(['local_host.lb#0', 'local_host.ns["ns1"]#2']);
    expect(removeInstance(state, ns, 7)).to.equal(state);
  });

  it('gives a new copy a generation above every recorded one', () => {
    expect(nextGeneration(emptyState('test'), ns)).to.equal(1);
    expect(nextGeneration(stateOf(blue), ns)).to.equal(2);
    expect(nextGeneration(stateOf(blue, green), ns)).to.equal(3);
    expect(nextGeneration(stateOf(green), ns)).to.equal(3);
  });
});
