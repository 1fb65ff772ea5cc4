/**
 * End to end on this machine, for real: examples/local's BIND nameservers, nginx load balancers
 * and Ansible playbooks, deployed blue-green under DNS load, with failures injected where a
 * person would meet them. Everything the tests start is stopped by the tests.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../support/cli.js';
import { startDnsLoad, type DnsLoad, type LoadStats } from '../../src/loadgen/index.js';
import type { StateFile } from '../../src/state/types.js';
import { processesMentioning } from '../../src/providers/local/processes.js';
import { addressesOnLo, destroyAndExpectNothingLeft, LOCAL_EXAMPLE, soa, www } from '../support/local-stack.js';

const root = process.cwd();

/**
 * examples/local with two seams for failure tests: the zone serves `served_www` (default: the
 * same as `www`, which the checks expect) and the checks give up after 8 s instead of 30 s.
 */
const config = LOCAL_EXAMPLE.replace('"www IN A  ${var.www}"', '"www IN A  ${coalesce(var.served_www, var.www)}"')
  .replaceAll('  serial   = var.serial\n', '  serial   = var.serial\n  timeout  = "8s"\n')
  .concat('\nvariable "served_www" {\n  type    = string\n  default = ""\n}\n');

describe('end to end: the local stack (real BIND, nginx, ansible-playbook)', function () {
  this.timeout(600_000);
  let dir: string;
  let endpoints: string[];
  const cli = (command: string, ...args: string[]) => runCli([command, '-C', dir, ...args], { cwd: dir });
  const state = (): StateFile => JSON.parse(readFileSync(join(dir, 'infra.state.json'), 'utf8')) as StateFile;
  const live = (address: string) => state().resources.filter((r) => r.address === address && r.live);
  let load: DnsLoad | null = null;

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('The end-to-end tests need root: they add loopback addresses and run named and nginx.');
    dir = mkdtempSync(join(tmpdir(), 'infra-e2e-'));
    writeFileSync(join(dir, 'main.infra'), config);
    const r = await cli('apply', '--auto-approve');
    expect(r.stderr, r.stdout).to.equal('');
    expect(r.code).to.equal(0);
    endpoints = JSON.parse(readFileSync(join(dir, 'infra.state.json'), 'utf8')).outputs.endpoints.value as string[];
  });

  after(async () => {
    await load?.stop();
    if (dir) await destroyAndExpectNothingLeft(dir, ['--lock-timeout', '20s']);
  });

  it('serves the zone through both load balancers after the first apply', async () => {
    expect(endpoints).to.have.length(2);
    for (const e of endpoints) {
      expect(await soa(e, 'udp')).to.equal(2026112701);
      expect(await soa(e, 'tcp')).to.equal(2026112701);
      expect(await www(e)).to.deep.equal(['192.0.2.10']);
    }
  });

  it('deploys a new serial blue-green under >= 1,000 queries/s, persistent TCP connections included, with no query failing after a retry, and blue is gone', async () => {
    const blue = live('local_host.ns["ns1"]')[0];
    load = startDnsLoad({ targets: endpoints, qname: 'example.test', qtype: 'SOA', rate: 1000, durationMs: 300_000, protocols: ['udp', 'tcp'], timeoutMs: 500, retries: 1 });
    // Clients that keep their TCP connections open for the whole run, as resolvers do (RFC 7766).
    const persistent = startDnsLoad({ targets: endpoints, qname: 'example.test', qtype: 'SOA', rate: 400, durationMs: 300_000, protocols: ['tcp-persistent'], persistentConnectionsPerTarget: 4, timeoutMs: 500, retries: 1 });
    const r = await cli('apply', '--auto-approve', '--var', 'serial=2026112702');
    const stats: LoadStats = await load.stop();
    const kept: LoadStats = await persistent.stop();
    load = null;
    expect(r.stderr, r.stdout).to.equal('');
    expect(r.code).to.equal(0);
    expect(stats.sent).to.be.greaterThan(5000);
    expect(stats.failedAfterRetry, JSON.stringify(stats)).to.equal(0);
    expect(stats.answersSeen).to.have.property('2026112702');
    // Blue was destroyed only once the persistent clients had left it: asked to (keepalive 0),
    // they closed their connections with nothing outstanding; none was cut by the other side.
    for (const ns of ['ns1', 'ns2']) expect(r.stdout).to.match(new RegExp(`nginx_upstream\\.ns\\["${ns}"\\]: old path drained in \\d+\\.\\d\\ds \\(bound 30s\\)`));
    // switch = "nftables": each switch replaced the steering rule and reloaded no nginx, so no UDP
    // session in flight was dropped (a reload drops those of its exiting workers).
    for (const ns of ['ns1', 'ns2']) {
      const lines = r.stdout.split('\n').filter((l) => l.includes(`nginx_upstream.ns["${ns}"]`));
      expect(lines.join('\n')).to.match(/nftables on local_host [\d.]+: [\d.]+:\d+ now goes to [\d.]+:53/);
      expect(lines.join('\n')).to.not.include('reloaded nginx');
    }
    expect(stats.byProtocol.udp!.lostFirstTry, JSON.stringify(stats)).to.equal(0);
    expect(kept.failedAfterRetry, JSON.stringify(kept)).to.equal(0);
    expect(kept.lostFirstTryClosed, JSON.stringify(kept)).to.equal(0);
    expect(kept.persistentConnections!.closedByPeer, JSON.stringify(kept)).to.equal(0);
    // Each switch moved the connections to its load balancer: 8 at the start, 4 new ones per switch.
    expect(kept.persistentConnections!.opened).to.be.at.least(8 + 2 * 4);
    expect(kept.answersSeen).to.have.property('2026112702');
    console.log(`      persistent TCP: ${kept.sent} queries, ${kept.lostFirstTry} lost on the first try (${kept.lostFirstTryClosed} to a closed connection), ${kept.persistentConnections!.opened} connections opened`);
    for (const e of endpoints) expect(await soa(e)).to.equal(2026112702);
    // Blue is gone: its address, its processes, its directory.
    expect(addressesOnLo()).to.not.include(blue.attributes.ipv4);
    expect(processesMentioning(blue.attributes.dir as string)).to.deep.equal([]);
    expect(existsSync(blue.attributes.dir as string)).to.equal(false);
    const green = live('local_host.ns["ns1"]')[0];
    expect(green.generation).to.equal(blue.generation + 1);
    expect(state().resources.filter((x) => x.address === 'local_host.ns["ns1"]')).to.have.length(1);
  });

  it('replaces both load balancers blue-green, one at a time, under >= 1,000 queries/s: the endpoints never change, no query fails after a retry, the old load balancers are gone', async () => {
    const blues = ['ns1', 'ns2'].map((k) => live(`local_host.lb["${k}"]`)[0]);
    const nameservers = ['ns1', 'ns2'].map((k) => live(`local_host.ns["${k}"]`)[0].generation);
    load = startDnsLoad({ targets: endpoints, qname: 'example.test', qtype: 'SOA', rate: 1000, durationMs: 300_000, protocols: ['udp', 'tcp'], timeoutMs: 500, retries: 1 });
    const r = await cli('apply', '--auto-approve', '-replace=local_host.lb', '--var', 'serial=2026112702');
    const stats: LoadStats = await load.stop();
    load = null;
    expect(r.stderr, r.stdout).to.equal('');
    expect(r.code).to.equal(0);
    // What a switch of a moving address costs, for docs/engine.md.
    console.log(`      load-balancer replacement: ${JSON.stringify({ sent: stats.sent, lostFirstTry: Object.fromEntries(Object.entries(stats.byProtocol).map(([k, v]) => [k, v!.lostFirstTry])), failedAfterRetry: stats.failedAfterRetry })}`);
    expect(stats.sent).to.be.greaterThan(2000);
    expect(stats.failedAfterRetry, JSON.stringify(stats)).to.equal(0);
    expect(state().outputs.endpoints.value).to.deep.equal(endpoints);
    // The plan named the address that moves, and the load balancers went one after the other.
    const [svc1] = endpoints[0].split(':');
    expect(r.stdout).to.match(new RegExp(`switch +local_service_address\\.lb\\["ns1"\\] +${svc1.replaceAll('.', '\\.')} moves: ${blues[0].attributes.ipv4 as string} \\(blue\\) -> \\(green\\)`));
    expect(r.stdout.indexOf('local_host.lb["ns2"] (green): Creating...')).to.be.greaterThan(r.stdout.indexOf('local_host.lb["ns1"] (blue): Destruction complete'));
    for (const [i, blue] of blues.entries()) {
      const green = live(`local_host.lb["ns${i + 1}"]`)[0];
      expect(green.generation).to.equal(blue.generation + 1);
      expect(green.attributes.ipv4).to.not.equal(blue.attributes.ipv4);
      expect(addressesOnLo()).to.not.include(blue.attributes.ipv4);
      expect(processesMentioning(blue.attributes.dir as string)).to.deep.equal([]);
      // The upstream lives on the green load balancer only.
      expect(state().resources.filter((x) => x.address === `nginx_upstream.ns["ns${i + 1}"]`).map((x) => [x.generation, (x.attributes.lb as { ipv4: string }).ipv4])).to.deep.equal([[green.generation, green.attributes.ipv4]]);
    }
    // The nameservers were not touched.
    expect(['ns1', 'ns2'].map((k) => live(`local_host.ns["${k}"]`)[0].generation)).to.deep.equal(nameservers);
    expect(r.stdout).to.include('Resources: 4 added, 6 changed, 4 destroyed; 2 blue-green deploys.');
    for (const e of endpoints) expect(await soa(e)).to.equal(2026112702);
    expect((await cli('plan', '-detailed-exitcode', '--var', 'serial=2026112702')).code).to.equal(0);
  });

  const failures = [
    { name: 'a zone BIND rejects (provisioning fails)', vars: ['--var', 'serial=2026112703', '--var', 'served_www=not-an-address'], failed: 'ansible_playbook.ns["ns1"]' },
    { name: 'green answering the wrong record (verify fails)', vars: ['--var', 'serial=2026112703', '--var', 'served_www=192.0.2.99'], failed: 'dns_check.ns["ns1"]' },
  ];
  for (const f of failures) {
    it(`rolls back ${f.name}: blue keeps serving, the load balancer is untouched, no query fails`, async () => {
      const before = state();
      const lbConfig = before.resources.find((x) => x.address === 'nginx_upstream.ns["ns1"]')!.attributes.config;
      const blue = live('local_host.ns["ns1"]')[0];
      load = startDnsLoad({ targets: endpoints, qname: 'example.test', qtype: 'SOA', rate: 1000, durationMs: 300_000, protocols: ['udp', 'tcp'], timeoutMs: 500, retries: 1 });
      const r = await cli('apply', '--auto-approve', ...f.vars);
      const stats = await load.stop();
      load = null;
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include(f.failed);
      expect(r.stderr).to.include('Rolled back: local_host.ns["ns1"]');
      expect(stats.failedAfterRetry).to.equal(0);
      // Only the old serial was ever served.
      expect(Object.keys(stats.answersSeen)).to.deep.equal(['2026112702']);
      const after = state();
      expect(after.resources.find((x) => x.address === 'nginx_upstream.ns["ns1"]')!.attributes.config).to.equal(lbConfig);
      expect(live('local_host.ns["ns1"]').map((x) => x.generation)).to.deep.equal([blue.generation]);
      expect(after.resources.filter((x) => x.address === 'local_host.ns["ns1"]')).to.have.length(1);
      // ns2 was never touched.
      expect(after.resources.find((x) => x.address === 'local_host.ns["ns2"]')!.generation).to.equal(before.resources.find((x) => x.address === 'local_host.ns["ns2"]')!.generation);
      for (const e of endpoints) expect(await soa(e)).to.equal(2026112702);
    });
  }

  it('refuses a second concurrent apply, naming the one holding the lock', async () => {
    const bin = resolve(root, 'bin', 'infra.js');
    const first = spawn(process.execPath, [bin, 'apply', '-C', dir, '--auto-approve', '--var', 'serial=2026112704'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    first.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((res) => first.once('exit', (code) => res(code)));
    // Wait until the first apply is under way (it holds the lock from the start).
    for (let i = 0; i < 200 && !out.includes('Creating...'); i++) await new Promise((r) => setTimeout(r, 100));
    const second = await cli('apply', '--auto-approve', '--var', 'serial=2026112704');
    expect(second.code).to.equal(1);
    expect(second.stderr).to.include('Error acquiring the state lock');
    expect(second.stderr).to.match(/operation:?\s+apply/i);
    expect(await exited).to.equal(0);
    for (const e of endpoints) expect(await soa(e)).to.equal(2026112704);
  });

  it('converges after kill -9 of the CLI mid-deploy, with no stray process or address', async () => {
    const bin = resolve(root, 'bin', 'infra.js');
    const child = spawn(process.execPath, [bin, 'apply', '-C', dir, '--auto-approve', '--var', 'serial=2026112705'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise((res) => child.once('exit', res));
    for (let i = 0; i < 600 && !out.includes('ansible_playbook.ns["ns1"] (green): Creating...'); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500)); // ansible is now running against green
    child.kill('SIGKILL');
    await exited;
    // ansible-playbook, which was provisioning green, does not run on without infra.
    const playbook = resolve(root, 'ansible', 'nameserver.yml');
    let stray: number[] = [];
    for (let i = 0; i < 100; i++) {
      stray = processesMentioning(playbook).filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('ansible-playbook');
        } catch {
          return false;
        }
      });
      if (stray.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(stray, 'ansible-playbook left running after kill -9').to.deep.equal([]);
    const lock = JSON.parse(readFileSync(join(dir, 'infra.state.json.lock'), 'utf8')) as { id: string };
    expect((await cli('force-unlock', lock.id)).code).to.equal(0);
    const r = await cli('apply', '--auto-approve', '--var', 'serial=2026112705');
    expect(r.stderr, r.stdout).to.equal('');
    expect(r.code).to.equal(0);
    const s = state();
    expect(s.resources.every((x) => x.live && x.status === 'ready')).to.equal(true);
    // Exactly the four hosts of the state are on lo among the addresses this test's hosts used,
    // and every host directory beneath the state belongs to one of them.
    const hosts = s.resources.filter((x) => x.type === 'local_host');
    expect(hosts).to.have.length(4);
    const dirs = readdirSync(join(dir, '.infra', 'hosts')).map((d) => join(dir, '.infra', 'hosts', d));
    expect(dirs.sort()).to.deep.equal(hosts.map((h) => h.attributes.dir as string).sort());
    for (const e of endpoints) expect(await soa(e)).to.equal(2026112705);
  });

  it('destroy --target lb destroys the load balancers and what depends on them, nothing else', async () => {
    const ns = live('local_host.ns["ns1"]')[0];
    const r = await cli('destroy', '--target', 'lb', '--auto-approve');
    expect(r.stderr, r.stdout).to.equal('');
    expect(r.code).to.equal(0);
    const left = state().resources.map((x) => x.address).sort();
    expect(left).to.deep.equal([
      'ansible_playbook.ns["ns1"]',
      'ansible_playbook.ns["ns2"]',
      'dns_check.ns["ns1"]',
      'dns_check.ns["ns2"]',
      'local_host.ns["ns1"]',
      'local_host.ns["ns2"]',
    ]);
    for (const e of endpoints) expect(addressesOnLo()).to.not.include(e.split(':')[0]);
    // The nameservers still answer directly.
    expect(await soa(`${ns.attributes.ipv4}:53`)).to.equal(2026112705);
  });
});
