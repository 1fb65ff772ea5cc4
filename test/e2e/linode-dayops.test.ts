/**
 * Day-2 operations through the CLI against the Linode API emulator (a real HTTP server):
 * `moved` and `removed` blocks carried out by plan and apply (a rename destroys nothing and
 * touches no server), and `infra import` / `import` blocks adopting an instance made outside.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateFile } from '../../src/state/types.js';
import { runCli, type CliResult } from '../support/cli.js';
import { startLinodeEmulator, type LinodeEmulator } from '../support/linode-emulator.js';
import { closeServer, fastProviderBlock, freePort, listen } from '../support/linode-harness.js';

/** Two load balancers, `linode_instance.NAME["ns1"]` and `["ns2"]`. */
function balancers(name: string): string {
  return `
resource "linode_instance" "${name}" {
  for_each = { ns1 = "us-east", ns2 = "eu-central" }
  label    = "lb-\${each.key}"
  region   = each.value
  type     = "g6-nanode-1"
  image    = "linode/debian12"
  tags     = ["edge"]
}
`;
}

describe('day-2 operations against the Linode API emulator', function () {
  this.timeout(30_000);
  const token = `LINODETOKEN${randomBytes(12).toString('hex')}`;
  let emu: LinodeEmulator;
  let sshPort: number;
  const listeners: Server[] = [];
  let dir: string;
  const env = (): NodeJS.ProcessEnv => ({ LINODE_TOKEN: token, LINODE_URL: emu.url });
  const cli = (args: readonly string[]): Promise<CliResult> => runCli([...args, '-C', dir], { cwd: dir, env: env() });
  const ok = (r: CliResult): CliResult => {
    expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
    return r;
  };
  const statePath = (): string => join(dir, 'infra.state.json');
  const state = (): StateFile => JSON.parse(readFileSync(statePath(), 'utf8')) as StateFile;
  const ids = (): Record<string, unknown> => Object.fromEntries(state().resources.map((r) => [r.address, r.attributes.id]));
  const configure = (text: string): void => writeFileSync(join(dir, 'main.infra'), `\n${fastProviderBlock(sshPort)}${text}`);
  /** Requests that change something on Linode (anything but GET). */
  const writes = (): string[] => emu.requests.filter((q) => q.method !== 'GET').map((q) => `${q.method} ${q.apiPath}`);

  before(async () => {
    emu = await startLinodeEmulator({ token, provisioningMs: 20, bootingMs: 20, deletingMs: 20, createRateLimit: { limit: 10_000, windowMs: 15_000 } });
    sshPort = await freePort();
    emu.onCreated = (i) => {
      void listen(i.ipv4[0], sshPort).then((s) => listeners.push(s));
    };
  });

  after(async () => {
    await Promise.all(listeners.map(closeServer));
    await emu?.close();
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'infra-dayops-'));
    emu.clearFaults();
    emu.clearRequests();
  });

  afterEach(() => {
    for (const i of [...emu.instances.values()]) emu.deleteOutside(i.id);
    rmSync(dir, { recursive: true, force: true });
  });

  describe('moved and removed blocks', () => {
    it('renaming linode_instance.lb with a moved block plans no destroy and applies without touching a server', async () => {
      configure(balancers('lb'));
      ok(await cli(['apply', '--auto-approve']));
      const before = ids();
      configure(balancers('balancer') + '\nmoved {\n  from = linode_instance.lb\n  to   = linode_instance.balancer\n}\n');
      const plan = ok(await cli(['plan']));
      expect(plan.stdout).to.include('  # linode_instance.lb["ns1"] has moved to linode_instance.balancer["ns1"]\n    resource "linode_instance" "balancer" {\n');
      expect(plan.stdout).to.include('  # linode_instance.lb["ns2"] has moved to linode_instance.balancer["ns2"]\n');
      expect(plan.stdout).to.include('Plan: 0 to add, 0 to change, 0 to destroy.');
      expect(plan.stdout).not.to.include('No changes');
      expect(plan.stdout).not.to.include('destroyed');
      emu.clearRequests();
      const applied = ok(await cli(['apply', '--auto-approve']));
      expect(applied.stdout).to.include('Apply complete! Resources: 0 added, 0 changed, 0 destroyed');
      expect(writes()).to.deep.equal([]);
      expect(ids()).to.deep.equal({ 'linode_instance.balancer["ns1"]': before['linode_instance.lb["ns1"]'], 'linode_instance.balancer["ns2"]': before['linode_instance.lb["ns2"]'] });
      expect(emu.instances.size).to.equal(2);
      const again = ok(await cli(['plan']));
      expect(again.stdout).to.include('No changes.');
      expect(again.stdout).not.to.include('has moved');
    });

    it('apply writes the moves before any provider step: a failed update after a rename leaves the state moved', async () => {
      configure(balancers('lb'));
      ok(await cli(['apply', '--auto-approve']));
      const before = ids();
      configure(balancers('balancer').replace('lb-', 'edge-') + '\nmoved {\n  from = linode_instance.lb\n  to   = linode_instance.balancer\n}\n');
      emu.injectFault({ method: 'PUT', path: '/linode/instances/*', status: 400, count: Infinity });
      const r = await cli(['apply', '--auto-approve']);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.include('# linode_instance.lb["ns1"] has moved to linode_instance.balancer["ns1"]\n  # linode_instance.balancer["ns1"] will be updated in-place\n');
      expect(ids()).to.deep.equal({ 'linode_instance.balancer["ns1"]': before['linode_instance.lb["ns1"]'], 'linode_instance.balancer["ns2"]': before['linode_instance.lb["ns2"]'] });
      emu.clearFaults();
      const plan = ok(await cli(['plan']));
      expect(plan.stdout).not.to.include('has moved');
      expect(plan.stdout).to.include('Plan: 0 to add, 2 to change, 0 to destroy.');
    });

    it('a saved plan carries the moves; applied again once the state has moved, it is refused as stale', async () => {
      configure(balancers('lb'));
      ok(await cli(['apply', '--auto-approve']));
      configure(balancers('balancer') + '\nmoved {\n  from = linode_instance.lb\n  to   = linode_instance.balancer\n}\n');
      ok(await cli(['plan', '--out', 'moves.plan']));
      const saved = JSON.parse(readFileSync(join(dir, 'moves.plan'), 'utf8'));
      expect(saved.plan.moves).to.deep.equal([
        { from: 'linode_instance.lb["ns1"]', to: 'linode_instance.balancer["ns1"]' },
        { from: 'linode_instance.lb["ns2"]', to: 'linode_instance.balancer["ns2"]' },
      ]);
      const shown = ok(await cli(['show', 'moves.plan']));
      expect(shown.stdout).to.include('# linode_instance.lb["ns1"] has moved to linode_instance.balancer["ns1"]');
      emu.clearRequests();
      ok(await cli(['apply', 'moves.plan']));
      expect(writes()).to.deep.equal([]);
      expect(Object.keys(ids())).to.deep.equal(['linode_instance.balancer["ns1"]', 'linode_instance.balancer["ns2"]']);
      const stale = await cli(['apply', 'moves.plan']);
      expect(stale.code).to.equal(1);
      expect(stale.stderr).to.include('Saved plan is stale');
    });

    it('a removed block forgets the instances: the state no longer holds them, Linode still has them', async () => {
      configure(balancers('lb'));
      ok(await cli(['apply', '--auto-approve']));
      const before = ids();
      configure('\nremoved {\n  from = linode_instance.lb\n}\n');
      const plan = ok(await cli(['plan']));
      expect(plan.stdout).to.include('  # linode_instance.lb["ns1"] will no longer be managed by infra, but will not be destroyed\n');
      expect(plan.stdout).to.include('Plan: 0 to add, 0 to change, 0 to destroy.');
      emu.clearRequests();
      ok(await cli(['apply', '--auto-approve']));
      expect(writes()).to.deep.equal([]);
      expect(state().resources).to.deep.equal([]);
      for (const id of Object.values(before)) expect(emu.instance(id as number), `Linode ${id}`).not.to.equal(undefined);
    });

    it('a moved block onto an address the state holds stops the plan at the block, nothing changed', async () => {
      configure(balancers('lb') + balancers('balancer').replace('lb-', 'edge-'));
      ok(await cli(['apply', '--auto-approve']));
      const text = readFileSync(statePath(), 'utf8');
      configure(balancers('balancer').replace('lb-', 'edge-') + '\nmoved {\n  from = linode_instance.lb\n  to   = linode_instance.balancer\n}\n');
      const r = await cli(['plan']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/^main\.infra:\d+:1: Error: Cannot move linode_instance\.lb to linode_instance\.balancer: the destination exists\n/);
      expect(readFileSync(statePath(), 'utf8')).to.equal(text);
    });
  });

  describe('infra import and import blocks', () => {
    /** Creates an instance the way someone outside infra would: a POST to the API. */
    const createOutside = async (label: string): Promise<number> => {
      const res = await fetch(`${emu.url}/linode/instances`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ label, region: 'us-east', type: 'g6-nanode-1', image: 'linode/debian12', root_pass: 'Outside-Pass-12345', tags: ['edge'] }),
      });
      expect(res.status).to.equal(200);
      return ((await res.json()) as { id: number }).id;
    };
    const adopted = (label: string, extra = ''): string => `
resource "linode_instance" "adopted" {
  label     = "${label}"
  region    = "us-east"
  type      = "g6-nanode-1"
  image     = "linode/debian12"
  tags      = ["edge"]
  root_pass = "Config-Pass-12345"
${extra}}
`;

    it('infra import adopts an instance made outside; the next plan shows the diff; apply converges in place', async () => {
      const id = await createOutside('web-outside');
      configure(adopted('web-outside'));
      emu.clearRequests();
      const r = ok(await cli(['import', 'linode_instance.adopted', String(id)]));
      expect(r.stdout).to.equal(
        `linode_instance.adopted: Importing from ID "${id}"...\nlinode_instance.adopted: Import prepared!\n\nImport successful!\n\n` +
          'linode_instance.adopted (linode_instance) is now in the state. Nothing was changed on it;\nrun infra plan to see what apply would change to make it match the configuration.\n',
      );
      expect(writes()).to.deep.equal([]);
      const record = state().resources.find((x) => x.address === 'linode_instance.adopted')!;
      expect(record.attributes).to.deep.include({ id, label: 'web-outside', linode_label: 'web-outside', region: 'us-east', image: 'linode/debian12', tags: ['edge'] });
      expect(record.live).to.equal(true);
      expect(record.status).to.equal('ready');
      // The root password cannot be read back: recorded as unread, never as a value.
      expect(readFileSync(statePath(), 'utf8')).not.to.include('Pass-12345');
      // Nothing differs but what the API cannot tell: no replacement for the unread password.
      expect(ok(await cli(['plan'])).stdout).to.include('No changes.');

      configure(adopted('web-adopted'));
      const plan = ok(await cli(['plan']));
      expect(plan.stdout).to.include('# linode_instance.adopted will be updated in-place');
      expect(plan.stdout).to.match(/~ label +\= "web-outside" -> "web-adopted"\n/);
      expect(plan.stdout).to.include('Plan: 0 to add, 1 to change, 0 to destroy.');
      emu.clearRequests();
      ok(await cli(['apply', '--auto-approve']));
      expect(writes()).to.deep.equal([`PUT /linode/instances/${id}`]);
      expect(emu.instance(id)!.label).to.equal('web-adopted');
      expect(ok(await cli(['plan'])).stdout).to.include('No changes.');
    });

    it('import of an ID Linode does not have: a clear error, exit 1, state unchanged', async () => {
      configure(adopted('web-outside'));
      const r = await cli(['import', 'linode_instance.adopted', '99999']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.equal('Error: Cannot import linode_instance.adopted: no Linode instance with ID 99999\nThe API has no such instance on this account (or it is being deleted). Nothing was imported.\n');
      expect(existsSync(statePath())).to.equal(false);
      const bad = await cli(['import', 'linode_instance.adopted', 'web-outside']);
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.include('Error: Cannot import linode_instance.adopted: "web-outside" is not a Linode ID\n');
    });

    it('refuses an address the configuration lacks (did you mean), or one the state already holds', async () => {
      const id = await createOutside('web-outside');
      configure(adopted('web-outside'));
      const missing = await cli(['import', 'linode_instance.adopt', String(id)]);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.equal(
        'Error: Configuration for import target linode_instance.adopt does not exist\nDid you mean "linode_instance.adopted"?\nBefore importing, write its resource block, for example:\n  resource "linode_instance" "adopt" {\n    # (resource arguments)\n  }\n',
      );
      ok(await cli(['import', 'linode_instance.adopted', String(id)]));
      const text = readFileSync(statePath(), 'utf8');
      const twice = await cli(['import', 'linode_instance.adopted', String(id)]);
      expect(twice.code).to.equal(1);
      expect(twice.stderr).to.include('Error: Resource already managed by infra\n');
      configure(adopted('web-outside') + adopted('web-outside').replace('"adopted"', '"twin"'));
      const elsewhere = await cli(['import', 'linode_instance.twin', String(id)]);
      expect(elsewhere.code).to.equal(1);
      expect(elsewhere.stderr).to.equal(
        `Error: Cannot import linode_instance.twin: the object is already managed as linode_instance.adopted\nThe state records linode_instance ${id} at linode_instance.adopted. To give it a new address, use a moved block or infra state mv, not an import.\n`,
      );
      expect(readFileSync(statePath(), 'utf8')).to.equal(text);
    });

    it('an import block: the plan shows the import and the diff; apply imports, then updates in place; the block is then a no-op', async () => {
      const id = await createOutside('web-outside');
      configure(adopted('web-adopted') + `\nimport {\n  to = linode_instance.adopted\n  id = "${id}"\n}\n`);
      emu.clearRequests();
      const plan = ok(await cli(['plan', '--out', 'import.plan']));
      expect(plan.stdout).to.include(
        `  # linode_instance.adopted will be imported\n  # (imported from "${id}")\n  # linode_instance.adopted will be updated in-place\n  ~ resource "linode_instance" "adopted" {\n`,
      );
      expect(plan.stdout).to.match(/~ label +\= "web-outside" -> "web-adopted"\n/);
      expect(plan.stdout).to.include('Plan: 1 to import, 0 to add, 1 to change, 0 to destroy.');
      expect(writes()).to.deep.equal([]);
      expect(existsSync(statePath())).to.equal(false);
      const json = JSON.parse(ok(await cli(['show', 'import.plan', '--json'])).stdout);
      expect(json.resource_changes.find((c: { address: string }) => c.address === 'linode_instance.adopted').change.importing).to.deep.equal({ id: String(id) });
      const applied = ok(await cli(['apply', 'import.plan']));
      expect(applied.stdout).to.include('Apply complete! Resources: 1 imported, 0 added, 1 changed, 0 destroyed;');
      expect(writes()).to.deep.equal([`PUT /linode/instances/${id}`]);
      for (const text of [plan.stdout, plan.stderr, applied.stdout, applied.stderr, readFileSync(join(dir, 'import.plan'), 'utf8'), readFileSync(statePath(), 'utf8')]) {
        expect(text).not.to.include(token);
        expect(text).not.to.include('Pass-12345');
      }
      expect(ids()).to.deep.equal({ 'linode_instance.adopted': id });
      expect(emu.instance(id)!.label).to.equal('web-adopted');
      const again = ok(await cli(['plan']));
      expect(again.stdout).to.include('No changes.');
    });

    it('imports into a module instance, by infra import and by an import block', async () => {
      const a = await createOutside('web-a');
      const b = await createOutside('web-b');
      mkdirSync(join(dir, 'modules', 'web'), { recursive: true });
      writeFileSync(join(dir, 'modules', 'web', 'main.infra'), `
variable "label" {
  type = string
}
${adopted('${var.label}').replace('"adopted"', '"this"')}`);
      configure(`
module "web" {
  for_each = toset(["a", "b"])
  source   = "./modules/web"
  label    = "web-\${each.key}"
}

import {
  to = module.web["b"].linode_instance.this
  id = "${b}"
}
`);
      emu.clearRequests();
      const r = ok(await cli(['import', 'module.web["a"].linode_instance.this', String(a)]));
      expect(r.stdout).to.include(`module.web["a"].linode_instance.this: Importing from ID "${a}"...`);
      expect(writes()).to.deep.equal([]);
      expect(ids()).to.deep.equal({ 'module.web["a"].linode_instance.this': a });
      const plan = ok(await cli(['plan']));
      expect(plan.stdout).to.include(`  # module.web["b"].linode_instance.this will be imported\n  # (imported from "${b}")\n`);
      expect(plan.stdout).to.include('Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.');
      ok(await cli(['apply', '--auto-approve']));
      expect(writes()).to.deep.equal([]);
      expect(ids()).to.deep.equal({ 'module.web["a"].linode_instance.this': a, 'module.web["b"].linode_instance.this': b });
      expect(ok(await cli(['plan'])).stdout).to.include('No changes.');
    });

    it('an import block to a key for_each does not produce stops the plan: it would adopt the object only to destroy it', async () => {
      const id = await createOutside('lb-ns9');
      configure(balancers('lb') + `\nimport {\n  to = linode_instance.lb["ns9"]\n  id = "${id}"\n}\n`);
      const r = await cli(['plan']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(
        /^main\.infra:\d+:1: Error: Configuration for import target does not exist\n[^]*The configuration has no instance linode_instance\.lb\["ns9"\]; it has linode_instance\.lb\["ns1"\], linode_instance\.lb\["ns2"\]\. Importing it would adopt the object only to destroy it\.\n$/,
      );
      expect(existsSync(statePath())).to.equal(false);
    });

    it('infra import to a key for_each does not produce is refused; state unchanged', async () => {
      const id = await createOutside('lb-ns9');
      configure(balancers('lb'));
      const r = await cli(['import', 'linode_instance.lb["ns9"]', String(id)]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.equal(
        'Error: Configuration for import target linode_instance.lb["ns9"] does not exist\nThe configuration has no instance linode_instance.lb["ns9"]; it has linode_instance.lb["ns1"], linode_instance.lb["ns2"]. Importing it would adopt the object only to destroy it.\n',
      );
      expect(existsSync(statePath())).to.equal(false);
    });

    it('an import block with nothing else to change shows the import alone and still has something to apply', async () => {
      const id = await createOutside('web-outside');
      configure(adopted('web-outside') + `\nimport {\n  to = linode_instance.adopted\n  id = "${id}"\n}\n`);
      const plan = ok(await cli(['plan', '--detailed-exitcode']).then((r) => ({ ...r, code: r.code === 2 ? 0 : r.code + 100 })));
      expect(plan.stdout).to.include(`  # linode_instance.adopted will be imported\n  # (imported from "${id}")\n    resource "linode_instance" "adopted" {\n`);
      expect(plan.stdout).to.include('Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.');
      emu.clearRequests();
      const applied = ok(await cli(['apply', '--auto-approve']));
      expect(applied.stdout).to.include('Apply complete! Resources: 1 imported, 0 added, 0 changed, 0 destroyed;');
      expect(writes()).to.deep.equal([]);
      expect(ids()).to.deep.equal({ 'linode_instance.adopted': id });
    });

    it('an import block whose ID Linode does not have stops the plan at the block; nothing written', async () => {
      configure(adopted('web-adopted') + '\nimport {\n  to = linode_instance.adopted\n  id = "424242"\n}\n');
      const r = await cli(['plan']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/^main\.infra:\d+:1: Error: Cannot import linode_instance\.adopted: no Linode instance with ID 424242\n/);
      expect(existsSync(statePath())).to.equal(false);
    });
  });
});
