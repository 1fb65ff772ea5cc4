/** Whole numbers beyond 2^53 keep every digit through plan, apply, the state file and infra output. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempConfig } from '../support/cli.js';

describe('cli: integers beyond 2^53', () => {
  let cfg: { dir: string; cleanup: () => void } | undefined;
  afterEach(() => cfg?.cleanup());

  it('an output of 9007199254740993 is stored, read back and printed exactly', async () => {
    cfg = tempConfig({
      'main.infra': 'output "id" {\n  value = 9007199254740993\n}\n\noutput "ids" {\n  value = { big = [9007199254740992 + 1], serial = 2026120601 }\n}\n',
    });
    const plan = await runCli(['plan'], { cwd: cfg.dir, env: {} });
    expect(plan.stderr).to.equal('');
    expect(plan.stdout).to.contain('  + id  = 9007199254740993\n');
    const apply = await runCli(['apply', '-auto-approve'], { cwd: cfg.dir, env: {} });
    expect(apply.stderr).to.equal('');
    expect(apply.code).to.equal(0);
    expect(readFileSync(join(cfg.dir, 'infra.state.json'), 'utf8')).to.contain('"value": 9007199254740993,');
    const one = await runCli(['output', '-json', 'id'], { cwd: cfg.dir, env: {} });
    expect(one.stdout).to.equal('9007199254740993\n');
    const all = await runCli(['output', '-json'], { cwd: cfg.dir, env: {} });
    expect(JSON.parse(all.stdout.replace(/9007199254740993/g, '"9007199254740993"'))).to.deep.equal({
      id: { sensitive: false, type: 'number', value: '9007199254740993' },
      ids: { sensitive: false, type: ['object', { big: ['tuple', ['number']], serial: 'number' }], value: { big: ['9007199254740993'], serial: 2026120601 } },
    });
    // A second plan reads the state back exactly: nothing changed.
    const again = await runCli(['plan', '-detailed-exitcode'], { cwd: cfg.dir, env: {} });
    expect(again.stderr).to.equal('');
    expect(again.code).to.equal(0);
  });
});
