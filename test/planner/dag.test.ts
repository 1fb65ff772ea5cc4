import { expect } from 'chai';
import { ReadyQueue, dagEdges, reaches, topologicalOrder, transitiveDeps } from '../../src/graph/dag.js';

const nodes = [
  { id: 'a', after: [] },
  { id: 'b', after: ['a'] },
  { id: 'c', after: ['a', 'b'] },
  { id: 'd', after: [] },
];

describe('graph/dag', () => {
  it('orders nodes after what they wait for, ready ties in node order', () => {
    expect(topologicalOrder([{ id: 'x', after: ['y'] }, { id: 'y', after: [] }, { id: 'z', after: [] }])).to.deep.equal([1, 0, 2]);
    expect(topologicalOrder([{ id: 'x', after: ['y'] }, { id: 'y', after: ['x'] }])).to.deep.equal([]);
  });

  it('answers reachability and leaves implied edges out of the reduced ones', () => {
    const after = (id: string) => nodes.find((n) => n.id === id)?.after;
    expect([reaches('c', 'a', after), reaches('a', 'c', after), reaches('d', 'a', after)]).to.deep.equal([true, false, false]);
    expect(dagEdges(nodes, true)).to.deep.equal([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
    ]);
    expect(dagEdges(nodes, false)).to.have.length(3);
  });

  it('closes dependencies transitively, each key once', () => {
    const deps = new Map([['c', ['b', 'a']], ['b', ['a']], ['d', ['c']]]);
    const closure = transitiveDeps(['d', 'b'], (k) => deps.get(k));
    expect([...closure.entries()].map(([k, v]) => [k, [...v]])).to.deep.equal([
      ['d', ['c', 'b', 'a']],
      ['c', ['b', 'a']],
      ['b', ['a']],
      ['a', []],
    ]);
  });

  it('schedules: a node is ready once every node it waits for finished', () => {
    const q = new ReadyQueue(nodes);
    expect(q.list()).to.deep.equal([0, 3]);
    q.take(0);
    expect(q.list()).to.deep.equal([3]);
    q.finish('a');
    expect(q.list()).to.deep.equal([1, 3]);
    q.take(1);
    q.finish('b');
    expect(q.list()).to.deep.equal([2, 3]);
    const waitsForNothingKnown = new ReadyQueue([{ id: 'x', after: ['missing'] }]);
    expect(waitsForNothingKnown.list()).to.deep.equal([]);
  });
});
