import { expect } from 'chai';
import { copy, planOf, stepLines } from './fixture.js';

const CHAIN = `
resource "test_instance" "a" {
  name = "a"
}

resource "test_instance" "b" {
  name = "b"
  size = test_instance.a.name
}

resource "test_instance" "c" {
  name = "c"
  size = test_instance.b.name
}
`;

describe('planner: destroy ordering', () => {
  const state = [
    copy({ address: 'test_instance.a', attributes: { name: 'a' } }),
    copy({ address: 'test_instance.b', attributes: { name: 'b', size: 'a' }, dependencies: ['test_instance.a'] }),
    copy({ address: 'test_instance.c', attributes: { name: 'c', size: 'b' }, dependencies: ['test_instance.b'] }),
  ];

  it('deletes each instance after everything that depends on it', () => {
    const p = planOf({ config: CHAIN, state, mode: 'destroy' });
    expect(stepLines(p)).to.deep.equal([
      'delete test_instance.c',
      'delete test_instance.b <- delete test_instance.c',
      'delete test_instance.a <- delete test_instance.b',
    ]);
    expect(p.summary).to.deep.equal({ add: 0, change: 0, destroy: 3, blueGreen: 0 });
  });

  it('a target pulls in its dependents, each with the reason why', () => {
    const p = planOf({ config: CHAIN, state, mode: 'destroy', targets: ['test_instance.b'] });
    expect(p.changes.map((c) => [c.address, c.reasons])).to.deep.equal([
      ['test_instance.b', [{ code: 'targeted' }]],
      ['test_instance.c', [{ code: 'depends-on-destroyed', dependency: 'test_instance.b' }]],
    ]);
    expect(stepLines(p)).to.deep.equal(['delete test_instance.c', 'delete test_instance.b <- delete test_instance.c']);
  });

  it('every copy at an address waits for the copies that depend on it', () => {
    const copies = [...state.slice(0, 2), copy({ address: 'test_instance.c', attributes: { name: 'c' }, dependencies: ['test_instance.b', 'test_instance.b'] })];
    const p = planOf({ config: CHAIN, state: [...copies, copy({ address: 'test_instance.b', generation: 7, live: false, dependencies: ['test_instance.a'] })], mode: 'destroy' });
    expect(stepLines(p)).to.deep.equal([
      'delete test_instance.c',
      'delete test_instance.b <- delete test_instance.c',
      'delete test_instance.b (green) <- delete test_instance.c',
      'delete test_instance.a <- delete test_instance.b, delete test_instance.b (green)',
    ]);
  });
});
