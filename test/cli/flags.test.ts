import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli.js';
import { normalizeArgv } from '../../src/cli-args.js';
import { acquireLock } from '../../src/state/lock.js';
import { INFRA_VERSION } from '../../src/state/version.js';
import { RecordingProvider } from '../support/recording-provider.js';
import { runCli, tempConfig } from '../support/cli.js';
import { BLUE_GREEN } from '../support/configs.js';

/** The first column of the table under `## TITLE` in docs/cli.md. */
function tableColumn(title: string): string[] {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'cli.md'), 'utf8');
  const rest = doc.slice(doc.indexOf(`\n## ${title}\n`) + title.length + 5);
  return rest
    .slice(0, rest.search(/\n(?!\|)/))
    .split('\n')
    .slice(2)
    .map((row) => row.split('|')[1].trim());
}

const PLATFORM = `${process.platform}_${process.arch}`;
const VERSION_TEXT = `infra v${INFRA_VERSION}\non ${PLATFORM}, node ${process.version}\n`;

describe("cli: Terraform's flag spellings", function () {
  this.timeout(60_000);
  let unregister: () => void;
  let provider: RecordingProvider;
  let cfg: { dir: string; cleanup: () => void };
  const cli = (...args: string[]) => runCli(args, { cwd: cfg.dir });

  before(async () => {
    provider = new RecordingProvider();
    unregister = provider.register();
    cfg = tempConfig({ 'main.infra': BLUE_GREEN, 'v2.vars': 'version = "v2"\n' });
    expect((await cli('apply', '--auto-approve')).code).to.equal(0);
  });
  after(() => {
    unregister();
    cfg.cleanup();
  });

  it('plan -var NAME=VALUE plans with the value (it used to print the version and exit 0)', async () => {
    const r = await cli('plan', '-var', 'version=v2', '-detailed-exitcode');
    expect(r.stdout).to.not.include(INFRA_VERSION + '\n');
    expect(r.stdout).to.include('Plan: 4 to add, 6 to change, 4 to destroy; 2 blue-green deploys.');
    expect(r.code).to.equal(2);
  });

  it('plan takes -var=, -var-file=, -out=, -target=, -refresh=false, -lock-timeout=, -no-color, -json, -input=false', async () => {
    const r = await cli('plan', '-var-file=v2.vars', '-out=tf.plan', '-target=test_route.ns', '-refresh=false', '-lock-timeout=30s', '-no-color', '-input=false', '-json');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(JSON.parse(r.stdout).infra_summary).to.deep.equal({ add: 4, change: 6, destroy: 4, blue_green: 2 });
    expect(existsSync(join(cfg.dir, 'tf.plan'))).to.equal(true);
    const v = await cli('plan', '-var=version=v1', '-detailed-exitcode');
    expect(v.stderr).to.equal('');
    expect(v.code).to.equal(0);
  });

  it('apply takes -auto-approve, -parallelism=N and -refresh=false', async () => {
    const r = await cli('apply', '-auto-approve', '-parallelism=2', '-refresh=false', '-var', 'version=v1');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include('No changes.');
  });

  it('plan takes -parallelism=N and --parallelism N (refresh parallelism); a value that is not a positive whole number is refused', async () => {
    for (const args of [['-parallelism=1'], ['--parallelism', '3'], ['-parallelism', '2']]) {
      const r = await cli('plan', ...args, '-var', 'version=v2', '-detailed-exitcode');
      expect(r.stderr, args.join(' ')).to.equal('');
      expect(r.code, args.join(' ')).to.equal(2);
    }
    for (const command of ['plan', 'apply', 'destroy']) {
      for (const bad of ['0', '-1', '2.5', 'ten', '']) {
        const r = await cli(command, `-parallelism=${bad}`, ...(command === 'plan' ? [] : ['-auto-approve']));
        expect(r.code, `${command} ${bad}`).to.equal(1);
        expect(r.stdout, `${command} ${bad}`).to.equal('');
        expect(r.stderr, `${command} ${bad}`).to.equal(`Error: Invalid value for --parallelism: "${bad}"\nUse a whole number of at least 1 (how many provider calls run at once).\n`);
      }
    }
  });

  it('plan -parallelism=N refreshes at most N objects at once', async () => {
    let inFlight = 0;
    let most = 0;
    provider.latency = { read: 30 };
    provider.print = (call) => {
      if (call.op === 'read') most = Math.max(most, ++inFlight);
      return undefined;
    };
    provider.afterEffect = (call) => {
      if (call.op === 'read') inFlight--;
    };
    try {
      for (const [n, expected] of [[1, 1], [3, 3]] as const) {
        most = 0;
        const r = await cli('plan', `-parallelism=${n}`);
        expect(r.code).to.equal(0);
        expect(most, `-parallelism=${n}`).to.equal(expected);
      }
    } finally {
      provider.latency = {};
      provider.print = () => undefined;
      provider.afterEffect = () => {};
    }
  });

  it('apply PLANFILE refuses planning options (the saved plan was made with its own), instead of ignoring them', async () => {
    const saved = await cli('plan', '-var', 'version=v2', '-out=saved.plan');
    expect(saved.code).to.equal(0);
    for (const flags of [['-replace=test_route.ns'], ['--target', 'test_route.ns'], ['-destroy'], ['-refresh-only'], ['-refresh=false']]) {
      const r = await cli('apply', ...flags, 'saved.plan');
      const name = flags[0].replace(/^--?/, '-').replace(/=.*/, '') + (flags[0].endsWith('=false') ? '=false' : '');
      expect(r.code, flags.join(' ')).to.equal(1);
      expect(r.stdout, flags.join(' ')).to.equal('');
      expect(r.stderr, flags.join(' ')).to.equal(
        `Error: ${name} cannot be used when applying a saved plan\nsaved.plan was planned with its own options and is carried out exactly as it was shown. Plan again with ${name} and apply that plan: infra plan ${name === '-destroy' || name === '-refresh-only' || name === '-refresh=false' ? name : name + '=ADDRESS'} -out=saved.plan\n`,
      );
    }
    // -var stays allowed: it is how the sensitive values of a saved plan are given again.
    const ok = await cli('apply', '-var', 'version=v2', '-parallelism=2', 'saved.plan');
    expect(ok.stderr).to.equal('');
    expect(ok.code).to.equal(0);
    expect((await cli('apply', '-auto-approve', '-var', 'version=v1')).code).to.equal(0);
  });

  it("every flag of the issue's list is taken in both spellings by each command it applies to", () => {
    const flags: Record<string, string[]> = {
      plan: ['var n=3', 'var-file=F', 'out=F', 'target=A', 'replace=A', 'refresh=false', 'lock=false', 'lock-timeout=30s', 'parallelism=4', 'json', 'no-color', 'input=false', 'detailed-exitcode', 'destroy', 'refresh-only'],
      apply: ['var n=3', 'var-file=F', 'target=A', 'replace=A', 'auto-approve', 'refresh=false', 'lock-timeout=30s', 'parallelism=4', 'no-color', 'input=false', 'destroy', 'refresh-only'],
      destroy: ['var n=3', 'var-file=F', 'target=A', 'auto-approve', 'refresh=false', 'lock-timeout=30s', 'parallelism=4', 'no-color', 'input=false'],
    };
    for (const [command, list] of Object.entries(flags)) {
      for (const flag of list) {
        const words = flag.split(' ');
        const single = normalizeArgv(buildProgram(), [command, `-${words[0]}`, ...words.slice(1)]);
        const double = normalizeArgv(buildProgram(), [command, `--${words[0]}`, ...words.slice(1)]);
        expect(single.ok, `${command} -${flag}`).to.equal(true);
        expect(single, `${command} -${flag}`).to.deep.equal(double);
      }
    }
    const chdir = normalizeArgv(buildProgram(), ['-chdir=DIR', 'plan']);
    expect(chdir).to.deep.equal(normalizeArgv(buildProgram(), ['--chdir', 'DIR', 'plan']));
    expect(chdir).to.deep.equal({ ok: true, argv: ['plan'], chdir: 'DIR' });
  });

  it('apply -destroy destroys, as infra destroy does', async () => {
    const own = tempConfig({ 'main.infra': BLUE_GREEN });
    try {
      expect((await runCli(['apply', '-auto-approve'], { cwd: own.dir })).code).to.equal(0);
      const r = await runCli(['apply', '-destroy', '-auto-approve'], { cwd: own.dir });
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/\nDestroy complete! Resources: \d+ destroyed\.\n$/);
      expect((await runCli(['state', 'list'], { cwd: own.dir })).stdout).to.equal('');
    } finally {
      own.cleanup();
    }
  });

  it('global -chdir=DIR (and --chdir DIR) runs the command from DIR: relative paths are read from there', async () => {
    const parent = join(cfg.dir, '..');
    const name = cfg.dir.slice(parent.length + 1);
    const a = await runCli(['-chdir=' + name, 'plan', '-var-file=v2.vars', '-detailed-exitcode'], { cwd: parent });
    expect(a.stderr).to.equal('');
    expect(a.code).to.equal(2);
    const b = await runCli(['--chdir', name, 'output', '-json'], { cwd: parent });
    expect(b.code).to.equal(0);
    expect(JSON.parse(b.stdout).targets.value).to.have.length(2);
    const missing = await runCli(['-chdir=no-such-dir', 'plan'], { cwd: cfg.dir });
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.equal(`Error: -chdir: no directory "no-such-dir" in ${cfg.dir}\n`);
  });

  it('an unknown flag is an error with a suggestion, never a different action', async () => {
    const vars = await cli('plan', '-vars', 'version=v2');
    expect(vars.code).to.equal(1);
    expect(vars.stdout).to.equal('');
    expect(vars.stderr).to.equal("Error: unknown option '-vars' for infra plan (Did you mean -var?)\n");
    const help = await cli('plan', '-hepl');
    expect(help.code).to.equal(1);
    expect(help.stdout).to.equal('');
    expect(help.stderr).to.equal("Error: unknown option '-hepl' for infra plan (Did you mean -help?)\n");
    const versionish = await cli('plan', '-verison');
    expect(versionish.code).to.equal(1);
    expect(versionish.stdout).to.equal('');
    expect(versionish.stderr).to.equal("Error: unknown option '-verison' for infra plan\n");
    const dashes = await cli('apply', '--auto-aprove');
    expect(dashes.code).to.equal(1);
    expect(dashes.stderr).to.equal("Error: unknown option '--auto-aprove' for infra apply (Did you mean --auto-approve?)\n");
    const short = await cli('plan', '-x');
    expect(short.code).to.equal(1);
    expect(short.stderr).to.equal("Error: unknown option '-x' for infra plan\n");
    const global = await cli('-colour', 'plan');
    expect(global.code).to.equal(1);
    expect(global.stderr).to.equal("Error: unknown option '-colour' for infra\n");
  });

  it('a value that starts with a dash is taken as the value, not as a flag', async () => {
    const r = await cli('plan', '-var', 'version=-v2', '-json');
    expect(r.code).to.equal(0);
    expect(r.stderr).to.equal('');
  });

  it('version, -version, --version and -v print the version with the platform and node; --json too', async () => {
    for (const args of [['version'], ['-version'], ['--version'], ['-v']]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).to.equal(0);
      expect(r.stdout, args.join(' ')).to.equal(VERSION_TEXT);
    }
    for (const args of [['version', '--json'], ['version', '-json'], ['-version', '-json']]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).to.equal(0);
      expect(JSON.parse(r.stdout)).to.deep.equal({ infra_version: INFRA_VERSION, platform: PLATFORM, node_version: process.version });
    }
    const sub = await cli('plan', '--version');
    expect(sub.code).to.equal(1);
    expect(sub.stderr).to.equal("Error: unknown option '--version' for infra plan (infra version prints the version)\n");
  });

  it('plan -lock=false takes no lock, so it runs while another command holds it; apply refuses -lock=false', async () => {
    const held = await acquireLock(join(cfg.dir, 'infra.state.json'), { operation: 'apply' });
    expect(held.lock).to.not.equal(null);
    try {
      const locked = await cli('plan');
      expect(locked.code).to.equal(1);
      expect(locked.stderr).to.include('Error acquiring the state lock');
      const free = await cli('plan', '-lock=false', '-var', 'version=v2', '-detailed-exitcode');
      expect(free.stderr).to.equal('');
      expect(free.code).to.equal(2);
      expect(existsSync(join(cfg.dir, 'infra.state.json.lock'))).to.equal(true);
      const apply = await cli('apply', '-lock=false', '-auto-approve');
      expect(apply.code).to.equal(1);
      expect(apply.stderr).to.include('Error: -lock=false is for read-only runs');
    } finally {
      await held.lock!.release();
    }
  });

  it('a command refuses the common flags it does not use, saying which commands take them', async () => {
    const takers = 'validate, plan, apply, rollback, bake, destroy, state orphans, import and graph take it';
    for (const [args, flag] of [
      [['state', 'list', '--var', 'version=v2'], '--var'],
      [['state', 'show', '-var-file=v2.vars', 'test_route.ns'], '-var-file'],
      [['output', '-var', 'version=v2'], '-var'],
      [['show', '--var=version=v2'], '--var'],
      [['workspace', 'list', '-var', 'a=b'], '-var'],
    ] as const) {
      const r = await cli(...args);
      const command = `infra ${args.slice(0, args[0] === 'state' || args[0] === 'workspace' ? 2 : 1).join(' ')}`;
      expect(r.code, args.join(' ')).to.equal(1);
      expect(r.stdout, args.join(' ')).to.equal('');
      expect(r.stderr, args.join(' ')).to.equal(`Error: ${command} does not use ${flag} (${takers})\n`);
    }
    const fmt = await cli('fmt', '-var', 'version=v2');
    expect(fmt.code).to.equal(1);
    expect(fmt.stderr).to.equal(`Error: infra fmt does not use -var (${takers})\n`);
    const state = await cli('fmt', '-state=x.json');
    expect(state.code).to.equal(1);
    expect(state.stderr).to.equal('Error: infra fmt does not use -state (plan, apply, rollback, bake, destroy, show, state, import, workspace, init, output and force-unlock take it)\n');
  });

  it('infra --help lists the environment variables and the exit codes that docs/cli.md documents', async () => {
    const r = await cli('--help');
    expect(r.code).to.equal(0);
    const section = (title: string): string[] => {
      const from = r.stdout.indexOf(`\n${title}:\n`);
      expect(from, title).to.be.greaterThan(0);
      const rest = r.stdout.slice(from + title.length + 3);
      return rest.slice(0, rest.indexOf('\n\n') === -1 ? undefined : rest.indexOf('\n\n')).split('\n').filter((l) => l !== '');
    };
    // Each line is an indented name and its meaning; the names are the documented ones, in order.
    const variables = section('Environment variables');
    for (const line of variables) expect(line, line).to.match(/^ {2}[A-Z_a-z]+ {2,}\S.*\S$/);
    expect(variables.map((l) => l.trim().split(/\s+/)[0])).to.deep.equal(
      tableColumn('Environment variables').flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z_a-z]*)`/g)].map((m) => m[1])).filter((name) => name !== 'FORCE_COLOR'),
    );
    expect(variables.at(-1)).to.include('FORCE_COLOR');
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    for (const line of variables) expect(readme, 'README lists it').to.include(`\`${line.trim().split(/\s+/)[0]}\``);
    const codes = section('Exit codes');
    for (const line of codes) expect(line, line).to.match(/^ {2}\d+ +\S/);
    expect(codes.map((l) => l.trim().split(/\s+/)[0])).to.deep.equal(tableColumn('Exit codes'));
    expect(r.stdout.endsWith(`${codes.at(-1)}\n`)).to.equal(true);
  });

  it('fmt and validate take the single-dash spellings of their own flags', async () => {
    const dir = join(cfg.dir, 'fmt');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.infra'), 'variable "x" {\ndefault="y"\n}\n');
    const r = await runCli(['fmt', '-check'], { cwd: dir });
    expect(r.code).to.equal(3);
    expect(r.stdout).to.equal('a.infra\n');
    const v = await runCli(['validate', '-json'], { cwd: dir });
    expect(v.code).to.equal(0);
    expect(JSON.parse(v.stdout)).to.deep.equal({ valid: true, diagnostics: [] });
  });
});
