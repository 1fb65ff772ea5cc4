import { expect } from 'chai';
import { stripVTControlCharacters } from 'node:util';
import { renderPlanText, shouldUseColor } from '../../src/render/plan-text.js';
import { summarySentence } from '../../src/render/symbols.js';
import { blueGreenPlan, destroyOnlyPlan, mixedPlan, noChangesPlan, planOf } from '../support/plans.js';

describe('renderPlanText', () => {
  it('with colour, is the plain rendering plus ANSI codes', () => {
    for (const plan of [blueGreenPlan(), mixedPlan(), destroyOnlyPlan(), noChangesPlan()]) {
      const coloured = renderPlanText(plan, { color: true });
      expect(stripVTControlCharacters(coloured)).to.equal(renderPlanText(plan, { color: false }));
    }
  });

  it('colours glyphs (green +, red -, yellow ~), forces-replacement notes and sequence kinds', () => {
    const out = renderPlanText(mixedPlan(), { color: true });
    expect(out).to.include('\u001b[32m+\u001b[39m resource "local_file" "nginx"');
    expect(out).to.include('\u001b[31m-\u001b[39m resource "linode_instance" "old"');
    expect(out).to.include('\u001b[33m~\u001b[39m resource "bind_zone" "example"');
    expect(out).to.include('\u001b[31m-\u001b[39m/\u001b[32m+\u001b[39m resource "linode_instance" "cache"');
    expect(out).to.include('\u001b[31m# forces replacement\u001b[39m');
    expect(out).to.include('\u001b[36mdestroy\u001b[39m');
  });

  it('has no colour codes without colour', () => {
    expect(renderPlanText(blueGreenPlan(), { color: false })).to.not.include('\u001b');
  });

  it('leaves no-op changes out', () => {
    expect(renderPlanText(mixedPlan(), { color: false })).to.not.include('null_resource');
  });

  it('says there is nothing to do, after any drift', () => {
    expect(renderPlanText(noChangesPlan(), { color: false })).to.equal('No changes. Your infrastructure matches the configuration.\n');
    const drifted = planOf({ drift: mixedPlan().drift });
    const text = renderPlanText(drifted, { color: false });
    expect(text.startsWith('Note: Objects have changed outside of infra\n')).to.equal(true);
    expect(text.endsWith('\nNo changes. Your infrastructure matches the configuration.\n')).to.equal(true);
  });

  it('shows output changes alone when only outputs change', () => {
    const plan = planOf({ outputs: [{ name: 'ip', before: '192.0.2.1', after: '192.0.2.2', sensitive: false }] });
    expect(renderPlanText(plan, { color: false })).to.equal(
      [
        'No changes to infrastructure.',
        '',
        'Changes to Outputs:',
        '  ~ ip = "192.0.2.1" -> "192.0.2.2"',
        '',
        'You can apply this plan to save these new output values to the state, without changing any real infrastructure.',
        '',
      ].join('\n'),
    );
  });

  it('ends with the summary line', () => {
    const plan = blueGreenPlan();
    expect(renderPlanText(plan, { color: false }).trimEnd().split('\n').pop()).to.equal('Plan: 4 to add, 3 to change, 4 to destroy; 2 blue-green deploys.');
  });
});

describe('summarySentence', () => {
  it('counts blue-green deploys in the singular, the plural, or not at all', () => {
    expect(summarySentence({ add: 2, change: 1, destroy: 1, blueGreen: 1 })).to.equal('Plan: 2 to add, 1 to change, 1 to destroy; 1 blue-green deploy.');
    expect(summarySentence({ add: 4, change: 2, destroy: 2, blueGreen: 2 })).to.equal('Plan: 4 to add, 2 to change, 2 to destroy; 2 blue-green deploys.');
    expect(summarySentence({ add: 1, change: 0, destroy: 0, blueGreen: 0 })).to.equal('Plan: 1 to add, 0 to change, 0 to destroy.');
  });
});

describe('shouldUseColor', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  const cases: [string, { isTTY?: boolean }, Record<string, string | undefined>, boolean | undefined, boolean][] = [
    ['a terminal', tty, {}, undefined, true],
    ['a pipe', pipe, {}, undefined, false],
    ['a stream that does not say', {}, {}, undefined, false],
    ['--no-color on a terminal', tty, {}, false, false],
    ['--no-color with FORCE_COLOR', tty, { FORCE_COLOR: '1' }, false, false],
    ['NO_COLOR on a terminal', tty, { NO_COLOR: '1' }, undefined, false],
    ['an empty NO_COLOR', tty, { NO_COLOR: '' }, undefined, true],
    ['NO_COLOR with FORCE_COLOR', tty, { NO_COLOR: '1', FORCE_COLOR: '1' }, undefined, false],
    ['FORCE_COLOR into a pipe', pipe, { FORCE_COLOR: '1' }, undefined, true],
    ['FORCE_COLOR=0 on a terminal', tty, { FORCE_COLOR: '0' }, undefined, false],
    ['FORCE_COLOR=false on a terminal', tty, { FORCE_COLOR: 'false' }, undefined, false],
    ['TERM=dumb', tty, { TERM: 'dumb' }, undefined, false],
    ['an explicit --color into a pipe', pipe, {}, true, true],
  ];
  for (const [name, stream, env, flag, expected] of cases) {
    it(`${name}: ${expected ? 'on' : 'off'}`, () => {
      expect(shouldUseColor(stream, env, flag)).to.equal(expected);
    });
  }
});
