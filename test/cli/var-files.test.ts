import { expect } from 'chai';
import { runCli, tempConfig } from '../support/cli.js';

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'z'];
const CONFIG = NAMES.map((n) => `variable "${n}" {\n  default = "default"\n}\n\noutput "${n}" {\n  value = var.${n}\n}\n`).join('\n');

/** `infra apply` of a configuration that outputs every variable, and the outputs it recorded. */
async function outputsOf(files: Record<string, string>, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ values: Record<string, string>; stderr: string; code: number }> {
  const cfg = tempConfig({ 'main.infra': CONFIG, ...files });
  try {
    const r = await runCli(['apply', '-auto-approve', ...args], { cwd: cfg.dir, env });
    const out = await runCli(['output', '-json'], { cwd: cfg.dir });
    const json = out.code === 0 ? (JSON.parse(out.stdout) as Record<string, { value: string }>) : {};
    return { values: Object.fromEntries(Object.entries(json).map(([k, o]) => [k, o.value])), stderr: r.stderr, code: r.code };
  } finally {
    cfg.cleanup();
  }
}

describe('cli: variable files loaded automatically (infra.vars, *.auto.vars)', function () {
  this.timeout(60_000);

  it("precedence as Terraform's: default < INFRA_VAR_ < infra.vars < infra.vars.json < *.auto.vars[.json] by name < -var / -var-file in command-line order", async () => {
    const env = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n) => [`INFRA_VAR_${n}`, 'env']));
    const r = await outputsOf(
      {
        'infra.vars': 'b = "infra.vars"\nc = "infra.vars"\nd = "infra.vars"\ne = "infra.vars"\nf = "infra.vars"\ng = "infra.vars"\nh = "infra.vars"\n',
        'infra.vars.json': JSON.stringify({ c: 'infra.vars.json', d: 'infra.vars.json', e: 'infra.vars.json', f: 'infra.vars.json', g: 'infra.vars.json', h: 'infra.vars.json' }),
        'b.auto.vars': 'e = "b.auto.vars"\nf = "b.auto.vars"\ng = "b.auto.vars"\nh = "b.auto.vars"\n',
        'a.auto.vars.json': JSON.stringify({ d: 'a.auto.vars.json', e: 'a.auto.vars.json', f: 'a.auto.vars.json', g: 'a.auto.vars.json', h: 'a.auto.vars.json' }),
        'cli.vars': 'g = "cli.vars"\nh = "cli.vars"\n',
        // Neither the default name nor an auto name: read only when named.
        'other.vars': 'a = "other.vars"\n',
      },
      ['-var', 'g=first -var', '-var-file=cli.vars', '-var', 'h=last -var'],
      env,
    );
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.values).to.deep.equal({
      a: 'env',
      b: 'infra.vars',
      c: 'infra.vars.json',
      d: 'a.auto.vars.json',
      e: 'b.auto.vars',
      f: 'b.auto.vars',
      g: 'cli.vars',
      h: 'last -var',
      z: 'default',
    });
  });

  it('an undeclared name in an automatic file is a warning (the file may serve other configurations); in a named file an error', async () => {
    const auto = await outputsOf({ 'infra.vars': 'a = "x"\nserail = 1\n' }, []);
    expect(auto.code).to.equal(0);
    expect(auto.stderr).to.equal(
      'infra.vars:2:1: Warning: Value for undeclared variable "serail"\n' +
        '    2 | serail = 1\n' +
        '      | ^^^^^^\n' +
        'infra.vars:2: the configuration declares no variable "serail"; declare it with variable "serail" { ... }. Files loaded automatically may set variables this configuration does not use; it is ignored.\n',
    );
    expect(auto.values.a).to.equal('x');
    const named = await outputsOf({ 'mine.vars': 'serail = 1\n' }, ['-var-file', 'mine.vars']);
    expect(named.code).to.equal(1);
    expect(named.stderr).to.include('Error: Value for undeclared variable "serail"');
  });

  it('a syntax error in infra.vars names the file and ends the command', async () => {
    const r = await outputsOf({ 'infra.vars': 'a = \n' }, []);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('infra.vars:1:4: Error: Expected an expression after "="\n    1 | a =\n      |    ^\n');
  });
});
