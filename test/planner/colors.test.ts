import { expect } from 'chai';
import { copy, planOf, stepLines, webConfig } from './fixture.js';

const WEB = webConfig();

/** What apply leaves after a deploy of `generation` of test_instance.web. */
function deployed(generation: number) {
  return [
    copy({ address: 'test_instance.web', generation, attributes: { name: 'web', image: 'debian12', id: `i-${generation}`, ipv4: `192.0.2.${generation}` } }),
    copy({ address: 'test_check.web', attributes: { target: `192.0.2.${generation}`, expect: null }, dependencies: ['test_instance.web'] }),
    copy({ address: 'test_route.web', attributes: { targets: [`192.0.2.${generation}`], config: 'x' }, dependencies: ['test_instance.web'] }),
  ];
}

describe('planner: colours name roles - blue serves now, green is the new copy', () => {
  for (const serving of [1, 2, 3]) {
    it(`a deploy from generation ${serving} creates green generation ${serving + 1} and retires blue generation ${serving}`, () => {
      const p = planOf({ config: WEB, state: deployed(serving), vars: ['image=debian13'] });
      expect(p.units.map((u) => [u.address, u.priorGeneration, u.plannedGeneration])).to.deep.equal([['test_instance.web', serving, serving + 1]]);
      expect(stepLines(p)).to.deep.equal([
        'create test_instance.web (green)',
        'verify test_check.web (green) [test_instance.web] <- create test_instance.web (green)',
        'switch test_route.web (green) [test_instance.web] <- create test_instance.web (green), verify test_check.web (green) [test_instance.web]',
        'delete test_instance.web (blue) <- switch test_route.web (green) [test_instance.web]',
      ]);
      const sw = p.steps.find((s) => s.kind === 'switch')!;
      expect([sw.switchFrom, sw.switchTo]).to.deep.equal([`192.0.2.${serving} (blue)`, '(green)']);
      expect(p.steps.map((s) => s.generation)).to.deep.equal([serving + 1, 0, 0, serving]);
    });
  }

  it('the first copy of a blue-green resource is the new one: green', () => {
    const p = planOf({ config: WEB });
    expect(p.steps.filter((s) => s.address === 'test_instance.web').map((s) => [s.id, s.generation])).to.deep.equal([['create test_instance.web (green)', 1]]);
  });

  it('a copy left over from an interrupted deploy is not serving: green; the live one is blue', () => {
    const state = [...deployed(2), copy({ address: 'test_instance.web', generation: 3, live: false, status: 'tainted', attributes: { name: 'web', image: 'debian13' } })];
    expect(stepLines(planOf({ config: WEB, state })).slice(0, 1)).to.deep.equal(['delete test_instance.web (green) (leftover 3)']);
    expect(planOf({ config: WEB, state, mode: 'destroy' }).steps.map((s) => s.id)).to.deep.equal([
      'delete test_check.web',
      'delete test_route.web',
      'delete test_instance.web (blue)',
      'delete test_instance.web (green)',
    ]);
  });
});
