import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import type { Json } from '../../../src/evaluate/value.js';
import { ansiblePlaybook } from '../../../src/providers/ansible/playbook.js';
import { runPlaybook } from '../../../src/providers/ansible/run.js';
import { runOnHost, writeFileOnHost, type HostRef } from '../../../src/providers/hostexec.js';
import { localHost } from '../../../src/providers/local/host.js';
import { isAlive } from '../../../src/providers/local/processes.js';
import { requireCommands, requireRoot } from '../../support/root.js';
import { testContext, type TestContext } from '../local/context.js';
import { soaSerial } from './soa.js';

/** The repository root: playbook paths below are relative to it, as to a configuration directory. */
const CONFIG_DIR = new URL('../../../', import.meta.url).pathname.replace(/\/$/, '');

interface Host {
  readonly ipv4: string;
  readonly dir: string;
  readonly connection: 'local';
}

async function pidIn(file: string): Promise<number> {
  return Number((await readFile(file, 'utf8')).trim());
}

/** Pids of processes whose command line is exactly `argv`. */
async function processesRunning(argv: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline === `${argv.join('\0')}\0` && (await isAlive(Number(name)))) out.push(Number(name));
  }
  return out;
}

describe('ansible_playbook with real ansible, BIND and nginx', function () {
  this.timeout(60_000);
  let ctx: TestContext;
  let ns: Host;
  let lb: Host;
  let nsState: Record<string, Json>;
  const zoneVars = (serial: number, records: Json[] = ['www IN A 192.0.2.10']): Record<string, Json> => ({
    zone: 'example.test',
    serial,
    records,
  });

  before(async function () {
    requireRoot('ansible_playbook tests');
    requireCommands('ansible-playbook', 'named', 'named-checkzone', 'nginx', 'dig');
    ctx = await testContext('ansible');
    for (const name of ['ns', 'lb']) {
      const r = await localHost.create({ address: `local_host.${name}`, generation: 1, config: {}, configDir: CONFIG_DIR }, ctx);
      expect(r.diagnostics).to.deep.equal([]);
      if (name === 'ns') ns = r.state as unknown as Host;
      else lb = r.state as unknown as Host;
    }
  });

  after(async function () {
    // Stops named and nginx by their pid files, removes the addresses and directories.
    await ctx?.dispose();
  });

  it('runs nameserver.yml against a local_host: named answers the zone on ADDR:53', async function () {
    const config = { playbook: 'ansible/nameserver.yml', host: { ...ns }, vars: zoneVars(7) };
    const planned = ansiblePlaybook.plan!({ address: 'ansible_playbook.ns', generation: 0, config, prior: null, configDir: CONFIG_DIR });
    const r = await ansiblePlaybook.create({ address: 'ansible_playbook.ns', generation: 0, config, configDir: CONFIG_DIR }, ctx);
    expect(r.diagnostics).to.deep.equal([]);
    nsState = r.state as Record<string, Json>;
    expect(nsState).to.deep.equal({ ...config, checksum: planned.planned['checksum'] });
    expect(await soaSerial(ns.ipv4, 'example.test', 'udp')).to.equal(7);
    expect(await soaSerial(ns.ipv4, 'example.test', 'tcp')).to.equal(7);
    expect(await isAlive(await pidIn(join(ns.dir, 'bind/named.pid')))).to.equal(true);
    expect(ctx.lines).to.include('TASK [bind : Write and check the zone files]');
    expect(ctx.lines.filter((l) => l.includes('reserved name'))).to.deep.equal([]);
  });

  it('runs it again on update: named reloads and serves the new serial and a second zone', async function () {
    const pidBefore = await pidIn(join(ns.dir, 'bind/named.pid'));
    const zones: Json = [
      { name: 'example.test', serial: 8, records: ['www IN A 192.0.2.10'] },
      { name: 'other.test', serial: 3, records: [{ name: 'www', type: 'a', value: '192.0.2.20', ttl: 60 }] },
    ];
    const config = { playbook: 'ansible/nameserver.yml', host: { ...ns }, vars: { zones } };
    const r = await ansiblePlaybook.update({ address: 'ansible_playbook.ns', generation: 0, prior: nsState, config, configDir: CONFIG_DIR }, ctx);
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.state['checksum']).to.not.equal(nsState['checksum']);
    nsState = r.state as Record<string, Json>;
    expect(await soaSerial(ns.ipv4, 'example.test')).to.equal(8);
    expect(await soaSerial(ns.ipv4, 'other.test')).to.equal(3);
    expect(await readFile(join(ns.dir, 'bind/zones/db.other.test'), 'utf8')).to.include('\nwww 60 IN A 192.0.2.20\n');
    expect(await pidIn(join(ns.dir, 'bind/named.pid'))).to.equal(pidBefore);
  });

  it('reports a zone BIND rejects with the task name and message, and the running zone stays', async function () {
    const config = { playbook: 'ansible/nameserver.yml', host: { ...ns }, vars: zoneVars(9, ['www IN A 999.1.1.1']) };
    const r = await ansiblePlaybook.update({ address: 'ansible_playbook.ns', generation: 0, prior: nsState, config, configDir: CONFIG_DIR }, ctx);
    expect(r.state).to.deep.equal(nsState);
    expect(r.diagnostics).to.have.length(1);
    const [d] = r.diagnostics;
    expect(d?.severity).to.equal('error');
    expect(d?.summary).to.equal(`Playbook nameserver.yml failed at task "bind : Write and check the zone files" on ${ns.ipv4}`);
    expect(d?.detail).to.match(/^example\.test: failed to validate\n/);
    expect(d?.detail).to.include("near '999.1.1.1': bad dotted quad");
    expect(await soaSerial(ns.ipv4, 'example.test')).to.equal(8);
  });

  it('reports bad variables from the playbook\'s own checks', async function () {
    const config = { playbook: 'ansible/nameserver.yml', host: { ...ns }, vars: { zone: 'bad zone!', serial: 1 } };
    const r = await ansiblePlaybook.create({ address: 'ansible_playbook.bad', generation: 0, config, configDir: CONFIG_DIR }, ctx);
    expect(r.state).to.equal(null);
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal([`Playbook nameserver.yml failed at task "bind : Check the zone variables" on ${ns.ipv4}`]);
    expect(r.diagnostics[0]?.detail).to.include('each zone needs `name` (a domain name without the final dot, got "bad zone!")');
  });

  it('runs loadbalancer.yml: nginx with the stream module carries DNS to the nameserver', async function () {
    const config = { playbook: 'ansible/loadbalancer.yml', host: { ...lb }, vars: {} };
    const r = await ansiblePlaybook.create({ address: 'ansible_playbook.lb', generation: 0, config, configDir: CONFIG_DIR }, ctx);
    expect(r.diagnostics).to.deep.equal([]);
    const masterPid = await pidIn(join(lb.dir, 'nginx/nginx.pid'));
    expect(await isAlive(masterPid)).to.equal(true);

    // What nginx_upstream does: a file in the streams directory, checked, then a reload.
    const host: HostRef = lb;
    const stream = [
      `upstream dns { server ${ns.ipv4}:53; }`,
      `server { listen ${lb.ipv4}:53 udp; proxy_pass dns; proxy_responses 1; proxy_timeout 2s; }`,
      `server { listen ${lb.ipv4}:53; proxy_pass dns; }`,
      '',
    ].join('\n');
    expect((await writeFileOnHost(host, join(lb.dir, 'nginx/streams/dns.conf'), stream)).ok).to.equal(true);
    const nginxArgs = ['-p', `${lb.dir}/nginx/`, '-e', `${lb.dir}/nginx/logs/error.log`, '-c', `${lb.dir}/nginx/conf/nginx.conf`];
    const test = await runOnHost(host, ['nginx', '-t', ...nginxArgs]);
    expect(test.problem).to.equal(undefined);
    expect((await runOnHost(host, ['nginx', '-s', 'reload', ...nginxArgs])).ok).to.equal(true);
    expect(await soaSerial(lb.ipv4, 'example.test', 'udp')).to.equal(8);
    expect(await soaSerial(lb.ipv4, 'example.test', 'tcp')).to.equal(8);
  });

  it('stops ansible-playbook and its workers when cancelled', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'infra-slow-playbook-'));
    const sleeper = ['sleep', '61.25'];
    try {
      await writeFile(
        join(dir, 'slow.yml'),
        ['- hosts: all', '  gather_facts: false', '  tasks:', '    - name: Sleep', `      ansible.builtin.command: ${sleeper.join(' ')}`, ''].join('\n'),
      );
      const abort = new AbortController();
      const lines: string[] = [];
      const diagnostics = await runPlaybook({
        playbookPath: join(dir, 'slow.yml'),
        host: ns,
        vars: {},
        signal: abort.signal,
        log: (line) => {
          lines.push(line);
          // The task has started once ansible announces it; give the module a moment to spawn.
          if (line === 'TASK [Sleep]') setTimeout(() => abort.abort(), 1500);
        },
      });
      expect(diagnostics.map((d) => d.summary)).to.deep.equal(['Playbook slow.yml was cancelled']);
      expect(await processesRunning(sleeper)).to.deep.equal([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('renders the remote (Debian service) variant in check mode, changing nothing here', async function () {
    // Not a remote run (none is possible here): the remote branch against this machine in
    // --check mode, which writes nothing, starts nothing and skips commands; apt is skipped
    // because its check mode needs python3-apt.
    const dir = await mkdtemp(join(tmpdir(), 'infra-remote-check-'));
    try {
      const inventory = { all: { hosts: { 'remote-check': { ansible_connection: 'local', ansible_python_interpreter: '{{ ansible_playbook_python }}', infra_local: false, infra_ipv4: '192.0.2.53' } } } };
      await writeFile(join(dir, 'inventory.json'), JSON.stringify(inventory));
      const before = await Promise.all(['/etc/bind/named.conf', '/etc/nginx/nginx.conf'].map((f) => readFile(f, 'utf8')));
      const vars = JSON.stringify({ zone: 'example.test', serial: 5, records: ['www IN A 192.0.2.1'] });
      const r = await execa(
        'ansible-playbook',
        ['--check', '--diff', '--skip-tags', 'packages', '-i', join(dir, 'inventory.json'), '-e', vars, 'nameserver.yml', 'loadbalancer.yml'],
        { cwd: join(CONFIG_DIR, 'ansible'), env: { ANSIBLE_NOCOLOR: '1' }, reject: false },
      );
      expect(r.exitCode, r.stdout).to.equal(0);
      for (const line of [
        '+    listen-on port 53 { any; };',
        '+    file "/etc/bind/zones/db.example.test";',
        '+ns IN A 192.0.2.53',
        '+include /etc/nginx/modules-enabled/*.conf;',
        '+    include /etc/nginx/streams/*.conf;',
        'included: ' + join(CONFIG_DIR, 'ansible/roles/common/tasks/daemon_service.yml') + ' for remote-check',
      ]) {
        expect(r.stdout.split('\n')).to.include(line);
      }
      expect(await Promise.all(['/etc/bind/named.conf', '/etc/nginx/nginx.conf'].map((f) => readFile(f, 'utf8')))).to.deep.equal(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says how to install ansible-playbook when it is missing', async function () {
    const diagnostics = await runPlaybook({
      playbookPath: join(CONFIG_DIR, 'ansible/nameserver.yml'),
      host: ns,
      vars: {},
      log: () => undefined,
      executable: 'ansible-playbook-not-installed',
    });
    expect(diagnostics).to.deep.equal([
      {
        severity: 'error',
        summary: 'ansible-playbook-not-installed is not installed',
        detail:
          'The ansible_playbook resource runs ansible-playbook (from ansible-core). Install it with "npm run setup" ' +
          '(scripts/setup.sh; as root), or put ansible-playbook on PATH.',
      },
    ]);
  });
});
