/**
 * End to end on the production path: examples/dns.infra against the Linode API emulator whose
 * instances are real Debian hosts of the lab (test/support/lab: systemd as PID 1, sshd, their
 * own network namespaces on 198.51.100.0/24). Ansible provisions them over SSH in the
 * playbooks' remote layout (apt, systemd units, /etc/bind, /etc/nginx), nginx_upstream switches
 * the load balancers over SSH, dns_check queries the public addresses. Everything the tests
 * start - the emulator, the lab's hosts, the CLI children, the DNS load - they stop.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsLoad, type LoadStats } from '../../src/loadgen/index.js';
import { parseServer, queryOnce } from '../../src/providers/dns_check/query.js';
import { soaSerial } from '../../src/providers/dns_check/records.js';
import type { StateFile } from '../../src/state/types.js';
import { runCli, type CliResult } from '../support/cli.js';
import { labUnavailable } from '../support/lab/lab.js';
import { startLabEmulator, type LabEmulator } from '../support/lab/lab-emulator.js';
import { listNetns } from '../support/lab/network.js';
import { labDir } from '../support/lab/registry.js';
import { mountsBelow } from '../support/lab/root-fs.js';
import { makeSshKey, sshRun, type SshKey } from '../support/lab/ssh.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SERIAL = 2026120301;
const USER_KNOWN_HOSTS = '/root/.ssh/known_hosts';

/**
 * examples/dns.infra as a user would run it against the lab: the playbooks found from the
 * temporary folder, the test's SSH key, quick polls and check timeouts that fit a test.
 */
function labConfig(): string {
  return readFileSync(join(ROOT, 'examples', 'dns.infra'), 'utf8')
    .replaceAll('"../ansible/', `"${join(ROOT, 'ansible')}/`)
    .replace('  token = env("LINODE_TOKEN", "")\n', '  token            = env("LINODE_TOKEN", "")\n  poll_interval_ms = 250\n')
    // A seam for the failure test: the load balancers' key alone can be another one.
    .replace(
      '  tags            = ["dns-lb"]\n\n  ssh {\n    private_key_file = var.ssh_private_key_file\n',
      '  tags            = ["dns-lb"]\n\n  ssh {\n    private_key_file = coalesce(var.lb_ssh_private_key_file, var.ssh_private_key_file)\n',
    )
    .concat('\nvariable "lb_ssh_private_key_file" {\n  type    = string\n  default = null\n}\n');
}

/** The lab configuration in one region (one load balancer, one nameserver, one service address). */
function oneRegionConfig(): string {
  return labConfig()
    .replace('    ns1 = "us-east"\n    ns2 = "eu-central"\n', '    ns1 = "us-east"\n')
    .replace('"ns2 IN A  ${linode_service_address.lb["ns2"].address}"', '"ns2 IN A  ${linode_service_address.lb["ns1"].address}"');
}

interface Deployment {
  readonly dir: string;
  readonly statePath: string;
  state(): StateFile;
  cli(command: string, ...args: string[]): Promise<CliResult>;
}

async function soa(endpoint: string, zone: string, proto: 'udp' | 'tcp' = 'udp'): Promise<number | undefined> {
  const r = await queryOnce(parseServer(endpoint)!, zone, 'SOA', proto, 2000);
  return r.kind === 'answer' ? soaSerial(r.response) : undefined;
}

describe('end to end: examples/dns.infra on the lab (real Debian hosts behind the Linode API emulator)', function () {
  this.timeout(900_000);
  let lab: LabEmulator;
  let keyDir: string;
  let key: SshKey;
  let wrongKey: SshKey;
  /** root's own known_hosts before the tests: nothing may change it. */
  let userKnownHosts: string | null;
  /** Addresses of ns1 and ns2 after the first apply. */
  let firstNsAddresses: string[] = [];
  const deployments: Deployment[] = [];
  /** Everything the CLI printed, in every test. */
  const printed: string[] = [];

  const labEnv = (): NodeJS.ProcessEnv => ({ LINODE_TOKEN: lab.token, LINODE_URL: lab.url });
  /** `infra COMMAND` on the deployment in `dir`, with the test's key. */
  const cliArgs = (dir: string, command: string, ...args: string[]): string[] => [
    command,
    '-C',
    dir,
    // force-unlock evaluates no variables, and refuses --var.
    ...(command === 'force-unlock' ? [] : ['--var', `authorized_keys=["${key.publicKey}"]`, '--var', `ssh_private_key_file=${key.privateKeyPath}`]),
    ...args,
  ];

  function deployment(config = labConfig()): Deployment {
    const dir = mkdtempSync(join(tmpdir(), 'infra-lab-e2e-'));
    writeFileSync(join(dir, 'main.infra'), config);
    // The nameservers are a module of dns.infra's: it goes beside the configuration, as in examples/.
    mkdirSync(join(dir, 'modules', 'nameserver'), { recursive: true });
    writeFileSync(join(dir, 'modules', 'nameserver', 'main.infra'), readFileSync(join(ROOT, 'examples', 'modules', 'nameserver', 'main.infra'), 'utf8'));
    const statePath = join(dir, 'infra.state.json');
    const d: Deployment = {
      dir,
      statePath,
      state: () => JSON.parse(readFileSync(statePath, 'utf8')) as StateFile,
      cli: async (command, ...args) => {
        const r = await runCli(cliArgs(dir, command, ...args), { cwd: dir, env: labEnv() });
        printed.push(r.stdout, r.stderr);
        return r;
      },
    };
    deployments.push(d);
    return d;
  }

  before(async function () {
    const why = await labUnavailable();
    if (why !== null) throw new Error(`the lab cannot run here: ${why}`);
    keyDir = mkdtempSync(join(tmpdir(), 'infra-lab-keys-'));
    key = await makeSshKey(keyDir, 'infra-e2e');
    mkdirSync(join(keyDir, 'wrong'));
    wrongKey = await makeSshKey(join(keyDir, 'wrong'), 'not-authorized');
    userKnownHosts = existsSync(USER_KNOWN_HOSTS) ? readFileSync(USER_KNOWN_HOSTS, 'utf8') : null;
    lab = await startLabEmulator({ provisioningMs: 300, bootingMs: 300, deletingMs: 300, createRateLimit: { limit: 100, windowMs: 15_000 } });
  });

  after(async () => {
    for (const d of deployments) rmSync(d.dir, { recursive: true, force: true });
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
    const id = lab?.lab.id;
    await lab?.close();
    if (id !== undefined) {
      expect((await listNetns()).filter((n) => n.includes(id)), 'namespaces left').to.deep.equal([]);
      expect(await mountsBelow(labDir(id)), 'mounts left').to.deep.equal([]);
    }
    expect(existsSync(USER_KNOWN_HOSTS) ? readFileSync(USER_KNOWN_HOSTS, 'utf8') : null, "root's own known_hosts").to.equal(userKnownHosts);
  });

  /** Instances the API has, by id. */
  const apiIds = (): number[] => [...lab.emulator.instances.keys()].sort();
  /** Linode ids the state knows (every record, live or not). */
  const stateIds = (d: Deployment): number[] =>
    d.state().resources.map((r) => r.attributes.id).filter((id): id is number => typeof id === 'number').sort();
  /** Addresses of the lab's hosts that are not powered off. */
  const hostAddresses = (): string[] => lab.lab.hosts.filter((h) => h.state !== 'off').map((h) => h.ipv4).sort();
  const endpointsOf = (d: Deployment): string[] => Object.values(d.state().outputs.nameservers?.value as Record<string, string>).map((ip) => `${ip}:53`);
  const liveIpv4 = (d: Deployment, address: string): string =>
    d.state().resources.find((r) => r.address === address && r.live)?.attributes.ipv4 as string;
  /** The state's known-hosts file, which infra keeps. */
  const knownHostsOf = (d: Deployment): string => join(d.dir, '.infra', `${d.state().lineage}.known_hosts`);
  // The test's own ssh sessions check host keys against what infra learned, so a stale key there fails them.
  const ssh = (ipv4: string, command: string) =>
    sshRun(ipv4, command, { privateKeyPath: key.privateKeyPath, knownHostsFile: knownHostsOf(main), timeoutMs: 20_000 });

  async function expectServing(d: Deployment, serial: number): Promise<void> {
    for (const endpoint of endpointsOf(d)) {
      expect(await soa(endpoint, 'example.com', 'udp'), `${endpoint} over UDP`).to.equal(serial);
      expect(await soa(endpoint, 'example.com', 'tcp'), `${endpoint} over TCP`).to.equal(serial);
    }
  }

  async function expectConverged(d: Deployment): Promise<void> {
    const plan = await d.cli('plan', '--detailed-exitcode', '--var', `serial=${currentSerial}`);
    expect(plan.code, plan.stdout + plan.stderr).to.equal(0);
    expect(apiIds(), 'instances the API has that the state does not know').to.deep.equal(stateIds(d));
    expect(hostAddresses(), 'hosts running').to.deep.equal(
      [...lab.emulator.instances.values()].map((i) => i.ipv4[0] as string).sort(),
    );
  }

  let main: Deployment;
  let currentSerial = SERIAL;

  describe('a first apply that fails half-way (the load balancers refuse the SSH key), then fixed', () => {
    let d: Deployment;
    it('fails, and the next apply with the right key converges; the plan after it has no changes', async () => {
      d = deployment();
      const broken = await d.cli('apply', '--auto-approve', '--var', `serial=${SERIAL}`, '--var', `lb_ssh_private_key_file=${wrongKey.privateKeyPath}`);
      expect(broken.code, broken.stdout).to.equal(1);
      expect(broken.stderr).to.match(/ansible_playbook\.lb\["ns[12]"\]/);
      expect(broken.stderr + broken.stdout).to.not.match(/\n\s+at .*\(/);
      const fixed = await d.cli('apply', '--auto-approve', '--var', `serial=${SERIAL}`);
      expect(fixed.code, fixed.stdout + fixed.stderr).to.equal(0);
      await expectServing(d, SERIAL);
      const plan = await d.cli('plan', '--detailed-exitcode', '--var', `serial=${SERIAL}`);
      expect(plan.code, plan.stdout + plan.stderr).to.equal(0);
      expect(plan.stdout).to.not.include('destroy');
    });

    it('destroys everything it made', async () => {
      const ids = stateIds(d);
      const r = await d.cli('destroy', '--auto-approve', '--var', `serial=${SERIAL}`);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      for (const id of ids) expect(lab.emulator.instance(id), `instance ${id}`).to.equal(undefined);
      expect(hostAddresses()).to.deep.equal([]);
    });
  });

  describe('the production path, one deployment through its life', () => {
    it('fresh apply: 18 resources, provisioned over SSH in the remote layout; the plan right after has no changes', async () => {
      main = deployment();
      const r = await main.cli('apply', '--auto-approve', '--var', `serial=${SERIAL}`);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.include('Apply complete! Resources: 18 added, 0 changed, 0 destroyed');
      expect(main.state().resources.filter((x) => x.live)).to.have.length(18);
      const lb = liveIpv4(main, 'linode_instance.lb["ns1"]');
      const ns = liveIpv4(main, 'module.ns["ns1"].linode_instance.this');
      expect(lb).to.match(/^198\.51\.100\.\d+$/);
      // The remote layout: system nginx and named under systemd, the upstream in /etc/nginx.
      expect((await ssh(lb, 'systemctl is-active nginx')).stdout.trim()).to.equal('active');
      expect((await ssh(ns, 'systemctl is-active named')).stdout.trim()).to.equal('active');
      // switch = "nftables": nginx proxies to the steer point; the rule on the host sends it on, is
      // kept in /etc/infra/steer and loaded again at boot by the unit the playbook enabled.
      expect((await ssh(lb, 'cat /etc/nginx/streams/*.conf')).stdout).to.match(new RegExp(`server ${lb.replace(/\./g, '\\.')}:2\\d{4};`));
      expect((await ssh(lb, 'cat /etc/infra/steer/*.nft')).stdout).to.include(`dnat to ${ns}:53`);
      expect((await ssh(lb, 'nft list ruleset')).stdout).to.include(`dnat to ${ns}:53`);
      expect((await ssh(lb, 'systemctl is-enabled infra-steer.service')).stdout.trim()).to.equal('enabled');
      await expectServing(main, SERIAL);
      await expectConverged(main);
      firstNsAddresses = ['ns1', 'ns2'].map((k) => liveIpv4(main, `module.ns["${k}"].linode_instance.this`));
    });

    it('blue-green (a new serial) under >= 1,000 queries/s over UDP and TCP through both load balancers: no query fails after a retry; blue is off and gone', async () => {
      const blues = ['ns1', 'ns2'].map((k) => main.state().resources.find((x) => x.address === `module.ns["${k}"].linode_instance.this` && x.live)!);
      const load = startDnsLoad({ targets: endpointsOf(main), qname: 'example.com', qtype: 'SOA', rate: 1000, durationMs: 600_000, protocols: ['udp', 'tcp'], timeoutMs: 500, retries: 1 });
      let stats: LoadStats;
      try {
        await new Promise((r) => setTimeout(r, 2000));
        currentSerial = SERIAL + 1;
        const r = await main.cli('apply', '--auto-approve', '--var', `serial=${currentSerial}`);
        expect(r.code, r.stdout + r.stderr).to.equal(0);
        expect(r.stdout).to.match(/traffic now to 198\.51\.100\.\d+ \(green\)/);
        await new Promise((r) => setTimeout(r, 2000));
      } finally {
        stats = await load.stop();
      }
      expect(stats.sent / (stats.durationMs / 1000), 'queries per second').to.be.at.least(900);
      expect(stats.failedAfterRetry, JSON.stringify(stats)).to.equal(0);
      expect(Object.keys(stats.answersSeen)).to.include.members([String(SERIAL), String(currentSerial)]);
      for (const blue of blues) {
        expect(lab.emulator.instance(blue.attributes.id as number), 'blue in the API').to.equal(undefined);
        expect(lab.hostOf(blue.attributes.id as number), 'blue host').to.equal(undefined);
      }
      await expectServing(main, currentSerial);
      await expectConverged(main);
    });

    it("a freed address handed to a new instance: the state's known-hosts file learned the new key, no host-key failure", () => {
      // Linode hands a freed address to the next new instance; the lab does the same (lowest
      // free first), so ns2's green took the address ns1's blue left.
      const now = (k: string) => liveIpv4(main, `module.ns["${k}"].linode_instance.this`);
      const firstNs = firstNsAddresses;
      const reused = ['ns1', 'ns2'].filter((k) => firstNs.includes(now(k)) && now(k) !== firstNs[['ns1', 'ns2'].indexOf(k)]);
      expect(reused, `nameservers first at ${firstNs.join(', ')}, now at ${now('ns1')}, ${now('ns2')}`).to.not.deep.equal([]);
      const knownHosts = readFileSync(knownHostsOf(main), 'utf8');
      for (const k of reused) expect(knownHosts.split('\n').filter((l) => l.startsWith(`${now(k)} `)), `keys of ${now(k)}`).to.have.length.at.least(1);
      // Keys of addresses no instance has any more are gone from it.
      const held = main.state().resources.filter((x) => x.type === 'linode_instance').map((x) => x.attributes.ipv4 as string);
      const learned = knownHosts.split('\n').filter((l) => l !== '').map((l) => l.split(' ')[0]!);
      expect(learned.filter((a) => !held.includes(a)), 'keys of freed addresses').to.deep.equal([]);
    });

    it('a hand edit of the upstream file on a load balancer: plan shows the drift, apply repairs it', async () => {
      const lb = liveIpv4(main, 'linode_instance.lb["ns1"]');
      const edited = await ssh(lb, "sed -i 's/:53;/:5353;/' /etc/nginx/streams/nginx_upstream_ns_ns1.conf && systemctl reload nginx && cat /etc/nginx/streams/nginx_upstream_ns_ns1.conf");
      expect(edited.code, edited.stderr).to.equal(0);
      expect(edited.stdout).to.include(':5353;');
      const plan = await main.cli('plan', '--detailed-exitcode', '--var', `serial=${currentSerial}`);
      expect(plan.code, plan.stdout + plan.stderr).to.equal(2);
      expect(plan.stdout).to.include('nginx_upstream.ns["ns1"] will be updated in-place');
      expect(plan.stdout).to.include('Plan: 0 to add, 1 to change, 0 to destroy');
      const r = await main.cli('apply', '--auto-approve', '--var', `serial=${currentSerial}`);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect((await ssh(lb, 'cat /etc/nginx/streams/*.conf')).stdout).to.not.include(':5353;');
      await expectServing(main, currentSerial);
      await expectConverged(main);
    });

    it('kill -9 of the CLI mid-deploy, then apply again: converges, no instance the state does not know, no host left running', async () => {
      const target = SERIAL + 2;
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'infra.js'), ...cliArgs(main.dir, 'apply', '--auto-approve', '--var', `serial=${target}`)], {
        cwd: main.dir,
        env: { ...process.env, ...labEnv(), NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      void exited.then(() => printed.push(out));
      // Killed as ns1's new copy is being created: the request is out, the state may not have its id.
      const deadline = Date.now() + 120_000;
      const creatingGreen = /module\.ns\["ns1"\]\.linode_instance\.this \((?:blue|green)\): │ Creating Linode/;
      while (!creatingGreen.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (!creatingGreen.test(out)) expect.fail(`the apply never started creating green:\n${out}`);
      child.kill('SIGKILL');
      await exited;
      currentSerial = target;
      // The killed process's lock is stale, and the CLI says so with the command that removes it.
      const blocked = await main.cli('plan', '--var', `serial=${currentSerial}`);
      expect(blocked.code).to.equal(1);
      const unlock = /infra force-unlock ([0-9a-f-]{36})/.exec(blocked.stderr);
      expect(blocked.stderr, 'a stale lock, with its force-unlock command').to.include('The lock is stale: process');
      expect((await main.cli('force-unlock', unlock![1]!)).code).to.equal(0);
      const r = await main.cli('apply', '--auto-approve', '--var', `serial=${currentSerial}`);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      await expectServing(main, currentSerial);
      await expectConverged(main);
      expect(lab.lab.hosts.filter((h) => h.state !== 'off')).to.have.length(4);
    });

    it('destroy: nothing left (API, hosts, namespaces, mounts)', async () => {
      const r = await main.cli('destroy', '--auto-approve', '--var', `serial=${currentSerial}`);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(apiIds()).to.deep.equal([]);
      expect(hostAddresses()).to.deep.equal([]);
      const hostNamespaces = (await listNetns()).filter((n) => n.startsWith(`${lab.lab.netns}-`));
      expect(hostNamespaces, 'host namespaces').to.deep.equal([]);
      expect(await mountsBelow(labDir(lab.lab.id)), 'mounts').to.deep.equal([]);
    });

    it('never shows the token or a root password: every output, state file, backup and known-hosts file', () => {
      const secrets = [lab.token];
      for (const r of lab.emulator.requests) {
        const pass = (r.body as { root_pass?: unknown } | null)?.root_pass;
        if (r.method === 'POST' && typeof pass === 'string') secrets.push(pass);
      }
      expect(secrets.length, 'root passwords sent').to.be.at.least(10);
      const written = deployments.flatMap((d) =>
        ['infra.state.json', 'infra.state.json.backup', join('.infra', `${d.state().lineage}.known_hosts`)]
          .map((f) => join(d.dir, f))
          .filter((f) => existsSync(f))
          .map((f) => readFileSync(f, 'utf8')),
      );
      for (const text of [...printed, ...written]) for (const secret of secrets) expect(text.includes(secret), 'a secret in the output or a file').to.equal(false);
    });
  });

  describe('a load balancer replaced blue-green behind its service address (one region)', () => {
    let d: Deployment;
    const serviceAddress = (): string => (d.state().outputs.nameservers?.value as Record<string, string>).ns1;

    it('serves the zone on an extra IPv4 of the load balancer, answered by its nginx', async () => {
      d = deployment(oneRegionConfig());
      const r = await d.cli('apply', '--auto-approve', '--var', `serial=${SERIAL}`);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      const lb = d.state().resources.find((x) => x.address === 'linode_instance.lb["ns1"]' && x.live)!;
      expect(lab.emulator.instance(lb.attributes.id as number)!.ipv4).to.deep.equal([lb.attributes.ipv4, serviceAddress()]);
      expect(await soa(`${serviceAddress()}:53`, 'example.com', 'udp')).to.equal(SERIAL);
      expect(await soa(`${serviceAddress()}:53`, 'example.com', 'tcp')).to.equal(SERIAL);
    });

    it('-replace of the load balancer under load to the service address: the address moves to green between the hosts, no query fails after a retry, blue is gone', async () => {
      const address = serviceAddress();
      const blue = d.state().resources.find((x) => x.address === 'linode_instance.lb["ns1"]' && x.live)!;
      const load = startDnsLoad({ targets: [`${address}:53`], qname: 'example.com', qtype: 'SOA', rate: 500, durationMs: 600_000, protocols: ['udp', 'tcp'], timeoutMs: 500, retries: 1 });
      let stats: LoadStats;
      let r: CliResult;
      try {
        await new Promise((res) => setTimeout(res, 1000));
        r = await d.cli('apply', '--auto-approve', '--var', `serial=${SERIAL}`, '-replace=linode_instance.lb["ns1"]');
        await new Promise((res) => setTimeout(res, 1000));
      } finally {
        stats = await load.stop();
      }
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      console.log(`      lab load-balancer replacement: ${JSON.stringify({ sent: stats.sent, lostFirstTry: Object.fromEntries(Object.entries(stats.byProtocol).map(([k, v]) => [k, v!.lostFirstTry])), failedAfterRetry: stats.failedAfterRetry })}`);
      expect(r.stdout).to.match(new RegExp(`switch +linode_service_address\\.lb\\["ns1"\\] +${address.replaceAll('.', '\\.')} moves: ${(blue.attributes.ipv4 as string).replaceAll('.', '\\.')} \\(blue\\) -> \\(green\\)`));
      expect(stats.failedAfterRetry, JSON.stringify(stats)).to.equal(0);
      expect(serviceAddress()).to.equal(address);
      const green = d.state().resources.find((x) => x.address === 'linode_instance.lb["ns1"]' && x.live)!;
      expect(green.attributes.id).to.not.equal(blue.attributes.id);
      expect(lab.emulator.instance(green.attributes.id as number)!.ipv4).to.deep.equal([green.attributes.ipv4, address]);
      expect(lab.emulator.instance(blue.attributes.id as number), 'blue in the API').to.equal(undefined);
      expect(await soa(`${address}:53`, 'example.com', 'udp')).to.equal(SERIAL);
      const plan = await d.cli('plan', '--detailed-exitcode', '--var', `serial=${SERIAL}`);
      expect(plan.code, plan.stdout + plan.stderr).to.equal(0);
    });

    it('destroy releases the address: nothing left in the API', async () => {
      const r = await d.cli('destroy', '--auto-approve', '--var', `serial=${SERIAL}`);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(apiIds()).to.deep.equal([]);
    });
  });
});
