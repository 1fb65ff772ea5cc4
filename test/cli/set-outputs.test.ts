/**
 * Set-valued outputs through apply, the state file and `infra output`, as Terraform 1.11 shows
 * them (`terraform output` checked on the same outputs): the text names a set `toset([...])`,
 * the JSON listing gives each output's type in Terraform's notation (`["set", "string"]`).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempConfig } from '../support/cli.js';

const CONFIG = `output "zones" {
  value = toset(["b", "a"])
}

output "ports" {
  value = setunion([443], [80])
}

output "none" {
  value = toset([])
}

output "nested" {
  value = { a = 1, b = [toset(["x"])] }
}

output "name" {
  value = "hi"
}

output "secret" {
  value     = toset(["z"])
  sensitive = true
}
`;

describe('cli: set outputs', () => {
  let cfg: { dir: string; cleanup: () => void } | undefined;
  afterEach(() => cfg?.cleanup());

  it('infra output prints a set as toset([...]); output -json gives its type as ["set", T] and its value as an array', async () => {
    cfg = tempConfig({ 'main.infra': CONFIG });
    const apply = await runCli(['apply', '-auto-approve'], { cwd: cfg.dir, env: {} });
    expect(apply.stderr).to.equal('');
    expect(apply.code).to.equal(0);
    // The listing after apply is the one infra output prints, as Terraform's apply.
    expect(apply.stdout).to.contain('\nOutputs:\n\nname = "hi"\nnested = {\n  a = 1\n  b = [\n    toset(["x"]),\n  ]\n}\nnone = toset([])\nports = toset([80, 443])\nsecret = (sensitive value)\nzones = toset(["a", "b"])\n');
    const state = JSON.parse(readFileSync(join(cfg.dir, 'infra.state.json'), 'utf8'));
    expect(state.outputs.zones).to.deep.equal({ value: ['a', 'b'], type: ['set', 'string'], sensitive: false });

    const text = await runCli(['output'], { cwd: cfg.dir, env: {} });
    expect(text.stderr).to.equal('');
    expect(text.stdout).to.equal(
      [
        'name = "hi"',
        'nested = {',
        '  a = 1',
        '  b = [',
        '    toset(["x"]),',
        '  ]',
        '}',
        'none = toset([])',
        'ports = toset([80, 443])',
        'secret = (sensitive value)',
        'zones = toset(["a", "b"])',
        '',
      ].join('\n'),
    );
    const one = await runCli(['output', 'zones'], { cwd: cfg.dir, env: {} });
    expect(one.stdout).to.equal('toset(["a", "b"])\n');
    const oneJson = await runCli(['output', '-json', 'zones'], { cwd: cfg.dir, env: {} });
    expect(oneJson.stdout).to.equal('["a","b"]\n');

    const all = await runCli(['output', '-json'], { cwd: cfg.dir, env: {} });
    expect(JSON.parse(all.stdout)).to.deep.equal({
      name: { sensitive: false, type: 'string', value: 'hi' },
      nested: { sensitive: false, type: ['object', { a: 'number', b: ['tuple', [['set', 'string']]] }], value: { a: 1, b: [['x']] } },
      none: { sensitive: false, type: ['set', 'dynamic'], value: [] },
      ports: { sensitive: false, type: ['set', 'number'], value: [80, 443] },
      secret: { sensitive: true, type: ['set', 'string'], value: null },
      zones: { sensitive: false, type: ['set', 'string'], value: ['a', 'b'] },
    });
    // Terraform's key order: sensitive, type, value.
    expect(all.stdout).to.contain('  "zones": {\n    "sensitive": false,\n    "type": [\n      "set",\n      "string"\n    ],\n    "value": [\n      "a",\n      "b"\n    ]\n  }');
  });

  it('a state written before types were recorded prints its outputs as before, without a type', async () => {
    cfg = tempConfig({ 'main.infra': CONFIG });
    await runCli(['apply', '-auto-approve'], { cwd: cfg.dir, env: {} });
    const path = join(cfg.dir, 'infra.state.json');
    const state = JSON.parse(readFileSync(path, 'utf8'));
    state.outputs = { zones: { value: ['a', 'b'], sensitive: false } };
    (await import('node:fs')).writeFileSync(path, JSON.stringify(state, null, 2) + '\n');
    expect((await runCli(['output'], { cwd: cfg.dir, env: {} })).stdout).to.equal('zones = ["a", "b"]\n');
    expect(JSON.parse((await runCli(['output', '-json'], { cwd: cfg.dir, env: {} })).stdout)).to.deep.equal({ zones: { sensitive: false, value: ['a', 'b'] } });
  });
});
