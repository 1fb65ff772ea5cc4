/**
 * End to end, for real (examples/local: BIND, nginx, ansible-playbook on this machine): a deploy
 * with keep_blue keeps the old nameservers; `infra rollback` puts the load balancers back on them
 * in seconds; a green that goes bad after the switch (its BIND stopped) is caught by its bake, before the next nameserver starts, and
 * rolled back; the window's end destroys blue. Everything the test starts it stops.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processesMentioning } from '../../src/providers/local/processes.js';
import type { StateFile } from '../../src/state/types.js';
import { runCli } from '../support/cli.js';
import { addressesOnLo, destroyAndExpectNothingLeft, LOCAL_EXAMPLE, soa } from '../support/local-stack.js';

const example = LOCAL_EXAMPLE;

const NAMESERVERS = 'resource "local_host" "ns" {\n  for_each = local.nameservers\n\n  lifecycle blue_green\n';

/** examples/local with the nameservers' lifecycle blue_green holding `settings`, checks giving up after 3 s. */
function configWith(settings: string): string {
  // The load balancers are blue-green too: only the nameservers' block gets the settings.
  if (!example.includes(NAMESERVERS)) throw new Error("examples/local/main.infra no longer declares the nameservers as this test expects");
  return example
    .replace(NAMESERVERS, NAMESERVERS.replace('  lifecycle blue_green\n', `  lifecycle blue_green {\n${settings}\n  }\n`))
    .replaceAll('  serial   = var.serial\n', '  serial   = var.serial\n  timeout  = "3s"\n');
}

describe('end to end: keep_blue, infra rollback and the bake on the local stack', function () {
  this.timeout(600_000);
  let dir: string;
  let endpoints: string[];
  const cli = (command: string, ...args: string[]) => runCli([command, '-C', dir, ...args], { cwd: dir });
  const state = (): StateFile => JSON.parse(readFileSync(join(dir, 'infra.state.json'), 'utf8')) as StateFile;
  const copy = (address: string, which: 'live' | 'kept') => state().resources.find((r) => r.address === address && (which === 'live' ? r.live : !!r.kept));
  const setConfig = (settings: string) => writeFileSync(join(dir, 'main.infra'), configWith(settings));

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('The end-to-end tests need root: they add loopback addresses and run named and nginx.');
    dir = mkdtempSync(join(tmpdir(), 'infra-e2e-keep-'));
    setConfig('    keep_blue = "10m"\n    bake      = "0s"');
    const r = await cli('apply', '--auto-approve', '--var', 'serial=1');
    expect(r.stderr, r.stdout).to.equal('');
    expect(r.code).to.equal(0);
    endpoints = state().outputs.endpoints.value as string[];
  });

  after(async () => {
    if (dir) await destroyAndExpectNothingLeft(dir, ['--var', 'serial=1']);
  });

  it('keeps the old nameservers running, and infra rollback puts traffic back on them in seconds', async () => {
    const r = await cli('apply', '--auto-approve', '--var', 'serial=2');
    expect(r.stderr, r.stdout).to.equal('');
    expect(r.code).to.equal(0);
    for (const e of endpoints) expect(await soa(e)).to.equal(2);
    const blue = copy('local_host.ns["ns1"]', 'kept')!;
    // Blue still runs and answers on its own address, not routed.
    expect(await soa(`${blue.attributes.ipv4 as string}:53`)).to.equal(1);
    const started = Date.now();
    const rb = await cli('rollback', '--auto-approve', '--var', 'serial=2');
    const took = Date.now() - started;
    expect(rb.stderr, rb.stdout).to.equal('');
    expect(rb.code).to.equal(0);
    expect(took, rb.stdout).to.be.lessThan(10_000);
    expect(rb.stdout).to.match(/Rollback complete after [0-9.]+s! Live now: local_host.ns\["ns1"\] generation 1, local_host.ns\["ns2"\] generation 1./);
    // The old servers answer through the load balancers.
    for (const e of endpoints) expect(await soa(e)).to.equal(1);
    expect(copy('local_host.ns["ns1"]', 'live')!.generation).to.equal(1);
    expect(copy('local_host.ns["ns1"]', 'kept')!.generation).to.equal(2);
  });

  it('the bake catches a green that goes bad after the switch, switches back to blue, and the next nameserver never starts', async () => {
    setConfig('    keep_blue     = "10m"\n    bake          = "40s"\n    bake_interval = "1s"');
    const applying = cli('apply', '--auto-approve', '--var', 'serial=3');
    // Wait until ns1's deploy is done and its bake runs: generation 3 live and blue kept.
    let green: ReturnType<typeof copy>;
    for (let i = 0; i < 1200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      green = copy('local_host.ns["ns1"]', 'live');
      if (green?.generation === 3 && copy('local_host.ns["ns1"]', 'kept')) break;
    }
    expect(green!.generation).to.equal(3);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await soa(endpoints[0])).to.equal(3);
    // ns1 bakes before ns2 starts.
    expect(await soa(endpoints[1])).to.equal(1);
    // Green ns1 goes bad: its BIND stops.
    const named = processesMentioning(green!.attributes.dir as string).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('named'));
    expect(named.length).to.be.greaterThan(0);
    for (const pid of named) process.kill(pid, 'SIGTERM');
    const r = await applying;
    expect(r.code, r.stdout).to.equal(1);
    expect(r.stdout).to.include('Rolling back the deploy of local_host.ns["ns1"]: dns_check.lb["ns1"], dns_check.public["ns1"] failed during the bake');
    expect(r.stdout).to.not.include('local_host.ns["ns2"] (green): Creating...');
    expect(r.stderr).to.include('Error: Bake failed: traffic switched back to blue');
    expect(r.stderr).to.include('Not started, so still on their blue copies: local_host.ns["ns2"].');
    // ns1 answers from blue again (generation 1, serial 1); ns2 was never deployed.
    expect(await soa(endpoints[0])).to.equal(1);
    expect(await soa(endpoints[1])).to.equal(1);
    expect(copy('local_host.ns["ns1"]', 'live')!.generation).to.equal(1);
    expect(copy('local_host.ns["ns1"]', 'kept')!.generation).to.equal(3);
    expect(copy('local_host.ns["ns2"]', 'live')!.generation).to.equal(1);
    expect(state().resources.filter((x) => x.address === 'local_host.ns["ns2"]').map((x) => x.generation)).to.not.include(3);
  });

  it('the window ends: the next plan says so and apply destroys the kept blue', async () => {
    setConfig('    keep_blue = "3s"\n    bake      = "0s"');
    // One instance: the window must not end while the apply still deploys the other.
    const r = await cli('apply', '--auto-approve', '--var', 'serial=4', '--target', 'local_host.ns["ns1"]');
    expect(r.stderr, r.stdout).to.equal('');
    expect(r.code).to.equal(0);
    expect(await soa(endpoints[0])).to.equal(4);
    const blue = copy('local_host.ns["ns1"]', 'kept')!;
    await new Promise((res) => setTimeout(res, Math.max(0, Date.parse(blue.kept!.until) - Date.now()) + 200));
    const plan = await cli('plan', '--var', 'serial=4', '--target', 'local_host.ns["ns1"]');
    expect(plan.stdout).to.match(/# local_host\.ns\["ns1"\] \(kept blue, window ended \d\d:\d\d UTC\) will be destroyed/);
    const done = await cli('apply', '--auto-approve', '--var', 'serial=4', '--target', 'local_host.ns["ns1"]');
    expect(done.stderr, done.stdout).to.equal('');
    expect(done.code).to.equal(0);
    expect(state().resources.filter((x) => x.address.endsWith('["ns1"]')).every((x) => x.live && !x.kept)).to.equal(true);
    expect(addressesOnLo()).to.not.include(blue.attributes.ipv4);
    expect(processesMentioning(blue.attributes.dir as string)).to.deep.equal([]);
    expect(await soa(endpoints[0])).to.equal(4);
  });
});
