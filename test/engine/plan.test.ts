import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { RecordingProvider } from '../support/recording-provider.js';
import { runCli, tempConfig } from '../support/cli.js';
import { BLUE_GREEN } from '../support/configs.js';
import type { StateFile } from '../../src/state/types.js';

const WEB = `
variable "size" {
  type    = string
  default = "small"
}

variable "secret" {
  type      = string
  default   = "hunter2-very-secret"
  sensitive = true
}

resource "test_instance" "lb" {
  name = "lb"
  size = var.size
}

resource "test_instance" "web" {
  count  = 2
  name   = "web-\${count.index}"
  image  = "debian12"
  secret = var.secret
}

resource "test_route" "lb" {
  targets = [for w in test_instance.web : w.ipv4]
}

resource "test_instance" "db" {
  name = "db"

  lifecycle {
    prevent_destroy = true
  }
}
`;

describe('engine: plans, targets, drift, saved plans, locks', () => {
  let provider: RecordingProvider;
  let unregister: () => void;
  let cfg: { dir: string; cleanup: () => void };
  const cli = (...args: string[]) => runCli(args, { cwd: cfg.dir });
  const state = (): StateFile => JSON.parse(readFileSync(join(cfg.dir, 'infra.state.json'), 'utf8')) as StateFile;

  beforeEach(async () => {
    provider = new RecordingProvider();
    unregister = provider.register();
    cfg = tempConfig({ 'main.infra': WEB });
    const r = await cli('apply', '--auto-approve');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    provider.resetCalls();
  });
  afterEach(() => {
    unregister();
    cfg.cleanup();
  });

  it('updates in place, and replaces when a forcing attribute changes', async () => {
    const r = await cli('plan', '--var', 'size=large');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include('test_instance.lb will be updated in-place');
    expect(r.stdout).to.include('Plan: 0 to add, 1 to change, 0 to destroy.');
    writeFileSync(join(cfg.dir, 'main.infra'), WEB.replace('image  = "debian12"', 'image  = "debian13"'));
    const p = await cli('plan', '--json');
    const json = JSON.parse(p.stdout);
    const web0 = json.resource_changes.find((c: { address: string }) => c.address === 'test_instance.web[0]');
    expect(web0.change.actions).to.deep.equal(['delete', 'create']);
    expect(json.infra_summary).to.deep.equal({ add: 2, change: 1, destroy: 2, blue_green: 0 });
  });

  it('never prints or saves a sensitive value', async () => {
    const r = await cli('plan', '--var', 'secret=an0ther-secret-value', '--out', 'plan.json');
    expect(r.code).to.equal(0);
    const all = r.stdout + r.stderr + readFileSync(join(cfg.dir, 'plan.json'), 'utf8') + readFileSync(join(cfg.dir, 'infra.state.json'), 'utf8');
    expect(all).to.not.include('an0ther-secret-value');
    expect(all).to.not.include('hunter2-very-secret');
    expect(r.stdout).to.include('(sensitive value)');
    const shown = await cli('state', 'show', 'test_instance.web[0]');
    expect(shown.stdout).to.include('(sensitive value)');
    expect(shown.stdout).to.not.include('hunter2');
  });

  it('refuses to destroy or replace what prevent_destroy protects', async () => {
    const r = await cli('plan', '--destroy');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('Error: Instance test_instance.db cannot be destroyed');
    writeFileSync(join(cfg.dir, 'main.infra'), WEB.replace('name = "db"', 'name  = "db"\n  image = "other"'));
    const replace = await cli('plan');
    expect(replace.code).to.equal(1);
    expect(replace.stderr).to.include('main.infra:29:1: Error: Instance test_instance.db cannot be destroyed');
  });

  it('shows drift: an object deleted outside is planned again', async () => {
    provider.deleteOutside('test_instance.lb');
    const r = await cli('plan', '--json');
    const json = JSON.parse(r.stdout);
    expect(json.resource_changes.find((c: { address: string }) => c.address === 'test_instance.lb').change.actions).to.deep.equal(['create']);
    const text = await cli('plan');
    expect(text.stdout).to.include('test_instance.lb');
    expect(text.stdout).to.match(/deleted|changed outside/i);
    const noRefresh = await cli('plan', '--refresh=false', '--detailed-exitcode');
    expect(noRefresh.code).to.equal(0);
    const oldId = state().resources.find((x) => x.address === 'test_instance.lb')!.attributes.id;
    const applied = await cli('apply', '--auto-approve');
    expect(applied.code, applied.stderr).to.equal(0);
    const now = state().resources.filter((x) => x.address === 'test_instance.lb');
    expect(now).to.have.length(1);
    expect(now[0].attributes.id).to.not.equal(oldId);
    expect(provider.objects.filter((o) => o.address === 'test_instance.lb').map((o) => o.attributes.id)).to.deep.equal([now[0].attributes.id]);
  });

  it('--target pulls in dependencies; destroy --target pulls in dependents, saying why', async () => {
    writeFileSync(join(cfg.dir, 'main.infra'), WEB.replace('"web-${count.index}"', '"www-${count.index}"').replace('default = "small"', 'default = "medium"'));
    const r = await cli('plan', '--target', 'test_instance.web[1]', '--json');
    const addrs = JSON.parse(r.stdout).resource_changes.filter((c: { change: { actions: string[] } }) => c.change.actions[0] !== 'no-op').map((c: { address: string }) => c.address);
    expect(addrs).to.deep.equal(['test_instance.web[1]']);
    const d = await cli('plan', '--destroy', '--target', 'web', '--json');
    const doomed = JSON.parse(d.stdout).resource_changes.map((c: { address: string; infra_reasons: string[] }) => [c.address, c.infra_reasons]);
    expect(doomed).to.deep.equal([
      ['test_instance.web[0]', ['targeted']],
      ['test_instance.web[1]', ['targeted']],
      ['test_route.lb', ['depends on test_instance.web[0]']],
    ]);
    const bad = await cli('plan', '--target', 'wbe');
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('No resource matches --target "wbe"');
    expect(bad.stderr).to.include('Did you mean "web"?');
  });

  it('applies a saved plan exactly, and refuses a stale one', async () => {
    const p = await cli('plan', '--var', 'size=large', '--out', 'plan.json');
    expect(p.code).to.equal(0);
    const a = await cli('apply', 'plan.json', '--var', 'size=large');
    expect(a.stderr).to.equal('');
    expect(a.code).to.equal(0);
    expect(state().resources.find((x) => x.address === 'test_instance.lb')!.attributes.size).to.equal('large');
    // The state moved on: the same file is now stale.
    const again = await cli('apply', 'plan.json', '--var', 'size=large');
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include('Error: Saved plan is stale');
    // A changed configuration is stale too.
    const p2 = await cli('plan', '--var', 'size=huge', '--out', 'plan2.json');
    expect(p2.code).to.equal(0);
    writeFileSync(join(cfg.dir, 'main.infra'), WEB + '\n# a comment\n');
    const a2 = await cli('apply', 'plan2.json', '--var', 'size=huge');
    expect(a2.code).to.equal(1);
    expect(a2.stderr).to.include('the configuration files changed');
  });

  it('detailed exit codes: 0 no changes, 2 changes', async () => {
    expect((await cli('plan', '--detailed-exitcode')).code).to.equal(0);
    expect((await cli('plan', '--detailed-exitcode', '--var', 'size=x')).code).to.equal(2);
  });

  it('a second apply is refused while the state is locked, naming the holder', async () => {
    // Hold the lock from another process.
    const holder = spawn(process.execPath, ['--import=tsx/esm', '--input-type=module', '-e', `
      const { StateStore } = await import(${JSON.stringify(join(process.cwd(), 'src/state/store.ts'))});
      const r = await StateStore.open(${JSON.stringify(join(cfg.dir, 'infra.state.json'))}, { operation: 'apply' });
      process.stdout.write('locked\\n');
      setTimeout(async () => { await r.store.release(); process.exit(0); }, 1500);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    const r = await cli('apply', '--auto-approve', '--var', 'size=large');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('Error acquiring the state lock');
    expect(r.stderr).to.include('apply');
    const waited = await cli('apply', '--auto-approve', '--var', 'size=large', '--lock-timeout', '10s');
    expect(waited.code).to.equal(0);
    await exited;
  });
});

describe('engine: the blue-green rules are enforced', () => {
  let provider: RecordingProvider;
  let unregister: () => void;
  beforeEach(() => {
    provider = new RecordingProvider();
    unregister = provider.register();
  });
  afterEach(() => unregister());

  it('refuses a blue-green resource that no check verifies and no route points at', async () => {
    const cfg = tempConfig({ 'main.infra': 'resource "test_instance" "ns" {\n  name = "x"\n\n  lifecycle blue_green\n}\n' });
    try {
      const r = await runCli(['validate'], { cwd: cfg.dir });
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('main.infra:4:3: Error: Blue-green resource test_instance.ns has no check to verify it');
      expect(r.stderr).to.include('main.infra:4:3: Error: Blue-green resource test_instance.ns has no route pointing at it');
    } finally {
      cfg.cleanup();
    }
  });

  it('validates the full blue-green example', async () => {
    const cfg = tempConfig({ 'main.infra': BLUE_GREEN });
    try {
      const r = await runCli(['validate'], { cwd: cfg.dir });
      expect(r.stderr).to.equal('');
      expect(r.stdout).to.include('Success!');
      expect(r.code).to.equal(0);
    } finally {
      cfg.cleanup();
    }
  });
});

describe('engine: apply checks values against the reviewed plan', () => {
  it('refuses a step whose configuration evaluates differently from the saved plan', async () => {
    const provider = new RecordingProvider();
    const unregister = provider.register();
    const cfg = tempConfig({ 'main.infra': 'resource "test_instance" "a" {\n  name = env("INFRA_TEST_NAME", "x")\n}\n' });
    try {
      const p = await runCli(['plan', '--out', 'plan.json'], { cwd: cfg.dir, env: { INFRA_TEST_NAME: 'reviewed' } });
      expect(p.code).to.equal(0);
      const a = await runCli(['apply', 'plan.json'], { cwd: cfg.dir, env: { INFRA_TEST_NAME: 'something-else' } });
      expect(a.code).to.equal(1);
      expect(a.stderr).to.include('Error: test_instance.a: "name" is not what the reviewed plan said');
      expect(provider.calls.filter((c) => c.op === 'create')).to.deep.equal([]);
    } finally {
      unregister();
      cfg.cleanup();
    }
  });
});
