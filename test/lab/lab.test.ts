/**
 * The lab (test/support/lab/, docs/lab.md): Linode instances created through the emulator's API
 * are real Debian hosts - systemd as PID 1, sshd, their own network namespace and root - that
 * reach each other and this machine, run the playbooks in their remote layout, present new host
 * keys on a reused address, and leave nothing behind when powered off or when their owner dies.
 *
 * Needs root and systemd-nspawn (npm run setup); skipped, saying why, without them.
 */
import { spawn } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { labCgroup, trackingHierarchies } from '../support/lab/cgroups.js';
import { run } from '../support/lab/commands.js';
import { labUnavailable, startLab } from '../support/lab/lab.js';
import { startLabEmulator, type LabEmulator } from '../support/lab/lab-emulator.js';
import { cleanStaleLabs } from '../support/lab/leftovers.js';
import { listLinks, listNetns } from '../support/lab/network.js';
import { LAB_BASE } from '../support/lab/registry.js';
import { mountsBelow } from '../support/lab/root-fs.js';
import { makeSshKey, sshArgs, sshRun, type SshKey, type SshOptions } from '../support/lab/ssh.js';

const REPO = new URL('../..', import.meta.url).pathname;

interface Created {
  readonly id: number;
  readonly ipv4: string;
}

/** POST /linode/instances as the provider sends it. */
async function createInstance(labEmulator: LabEmulator, label: string, key: SshKey): Promise<Created> {
  const response = await fetch(`${labEmulator.url}/linode/instances`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${labEmulator.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      label,
      region: 'us-east',
      type: 'g6-nanode-1',
      image: 'linode/debian12',
      root_pass: 'Lab-root-pass-0123',
      authorized_keys: [key.publicKey],
      tags: ['lab-test'],
    }),
  });
  const body = (await response.json()) as { id: number; ipv4: string[]; status: string };
  expect(response.status).to.equal(200);
  expect(body.status).to.equal('provisioning');
  return { id: body.id, ipv4: body.ipv4[0] as string };
}

/** GET /linode/instances/ID until its status is `status` (or, for null, until it is gone). */
async function waitForStatus(labEmulator: LabEmulator, id: number, status: string | null): Promise<number> {
  const started = Date.now();
  for (;;) {
    const response = await fetch(`${labEmulator.url}/linode/instances/${id}`, { headers: { Authorization: `Bearer ${labEmulator.token}` } });
    const body = (await response.json()) as { status?: string };
    if (status === null ? response.status === 404 : body.status === status) return Date.now();
    if (Date.now() - started > 30_000) throw new Error(`instance ${id} never reached ${status ?? 'gone'} (last: ${body.status ?? response.status})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function deleteInstance(labEmulator: LabEmulator, id: number): Promise<void> {
  const response = await fetch(`${labEmulator.url}/linode/instances/${id}`, {
    method: 'DELETE',
    headers: { Authorization: `Bearer ${labEmulator.token}` },
  });
  expect(response.status).to.equal(200);
}

/** Runs `command` on the host and returns its stdout, failing the test on a non-zero exit. */
async function on(ipv4: string, command: string, ssh: SshOptions): Promise<string> {
  const result = await sshRun(ipv4, command, ssh);
  if (result.code !== 0) throw new Error(`ssh ${ipv4} ${JSON.stringify(command)} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** What is left on this machine of lab `id`: namespaces, links, mounts, cgroups, its directory. */
async function leftoversOf(id: string): Promise<string[]> {
  const left: string[] = [];
  for (const netns of await listNetns()) if (netns.includes(id)) left.push(`netns ${netns}`);
  for (const link of await listLinks()) if (link.includes(id)) left.push(`link ${link}`);
  for (const mount of await mountsBelow(join(LAB_BASE, id))) left.push(`mount ${mount}`);
  for (const path of [join(LAB_BASE, id), ...(await trackingHierarchies()).map((h) => labCgroup(h, id))]) {
    if (await access(path).then(() => true, () => false)) left.push(`directory ${path}`);
  }
  return left;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('lab: Linode instances as real Debian hosts', function () {
  this.timeout(180_000);

  let dir: string;
  let key: SshKey;
  let ssh: SshOptions;
  let labEmulator: LabEmulator | undefined;

  before(async function () {
    const unavailable = await labUnavailable();
    if (unavailable !== null) {
      console.log(`      (skipped: ${unavailable})`);
      this.skip();
    }
    dir = await mkdtemp(join(tmpdir(), 'lab-test-'));
    key = await makeSshKey(dir);
    ssh = { privateKeyPath: key.privateKeyPath, knownHostsFile: join(dir, 'known_hosts') };
  });

  after(async () => {
    await labEmulator?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  let ns1: Created;
  let ns2: Created;

  it('boots each instance created through the API as a host with systemd as PID 1; "running" comes before sshd answers', async () => {
    labEmulator = await startLabEmulator({ token: 'lab-test-token' });
    const lab = labEmulator.lab;
    const createdAt = Date.now();
    ns1 = await createInstance(labEmulator, 'ns1', key);
    ns2 = await createInstance(labEmulator, 'ns2', key);
    expect([ns1.ipv4, ns2.ipv4]).to.deep.equal([lab.pool[0], lab.pool[1]]);

    for (const instance of [ns1, ns2]) {
      const runningAt = await waitForStatus(labEmulator, instance.id, 'running');
      const host = await labEmulator.waitForSsh(instance.id, { timeoutMs: 60_000 });
      expect(host.ipv4).to.equal(instance.ipv4);
      expect(host.bootedAt + (host.sshReadyMs ?? 0)).to.be.greaterThan(runningAt);
      const sinceCreate = host.bootedAt + (host.sshReadyMs ?? 0) - createdAt;
      console.log(`      ${host.hostname} (${host.ipv4}): sshd answered ${host.sshReadyMs} ms after nspawn started, ${sinceCreate} ms after the create`);
    }

    for (const [instance, label] of [
      [ns1, 'ns1'],
      [ns2, 'ns2'],
    ] as const) {
      // --wait: until boot has finished. Every unit a host runs is the lab's choice, so a failed
      // one ("degraded") is a lab bug: hosts sharing one cgroup tree once failed units at random.
      const state = (await sshRun(instance.ipv4, 'systemctl is-system-running --wait', ssh)).stdout.trim();
      const failed = state === 'running' ? '' : await on(instance.ipv4, 'systemctl --failed --no-legend --plain', ssh);
      expect(`${state}\n${failed}`).to.equal('running\n');
      expect(await on(instance.ipv4, 'cat /proc/1/comm; hostname; id -un', ssh)).to.equal(`systemd\n${label}\nroot\n`);
      expect(await on(instance.ipv4, 'ip -4 -o addr show dev eth0 | awk \'{print $4}\'; ip route show default', ssh)).to.equal(
        `${instance.ipv4}/26\ndefault via ${lab.gateway} dev eth0 \n`,
      );
    }
    // Each host has its own root: a file written on one is on neither the other nor this machine.
    await on(ns1.ipv4, 'echo ns1 > /etc/lab-test-marker', ssh);
    expect((await sshRun(ns2.ipv4, 'cat /etc/lab-test-marker', ssh)).code).to.equal(1);
    let onThisMachine = true;
    await access('/etc/lab-test-marker').catch(() => {
      onThisMachine = false;
    });
    expect(onThisMachine).to.equal(false);
  });

  it('hosts reach each other on the bridge, and this machine on its address in the lab', async () => {
    const lab = labEmulator!.lab;
    const bannerOfNs2 = await on(ns1.ipv4, `timeout 5 bash -c 'exec 3<>/dev/tcp/${ns2.ipv4}/22; head -c 8 <&3'`, ssh);
    expect(bannerOfNs2).to.equal('SSH-2.0-');

    const server: Server = createServer((socket) => socket.end('hello from this machine\n'));
    await new Promise<void>((resolve) => server.listen(0, lab.gateway, () => resolve()));
    try {
      const port = (server.address() as { port: number }).port;
      expect(await on(ns2.ipv4, `timeout 5 bash -c 'exec 3<>/dev/tcp/${lab.gateway}/${port}; cat <&3'`, ssh)).to.equal('hello from this machine\n');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('runs the nameserver playbook in its remote layout (apt, the service module, /etc/bind)', async () => {
    const vars = join(dir, 'vars.json');
    await writeFile(vars, JSON.stringify({ zone: 'example.com', serial: 2026112701, records: ['@ IN NS ns1.example.com.', `ns1 IN A ${ns1.ipv4}`] }));
    const common = sshArgs(ssh)
      .filter((a) => a !== '-i' && a !== ssh.privateKeyPath)
      .join(' ');
    const started = Date.now();
    const playbook = await run(
      'ansible-playbook',
      ['-i', `${ns1.ipv4},`, '-u', 'root', '--private-key', ssh.privateKeyPath, '--ssh-common-args', common, '-e', `@${vars}`, join(REPO, 'ansible/nameserver.yml')],
      { timeoutMs: 120_000, env: { ANSIBLE_NOCOLOR: '1' } },
    );
    console.log(`      nameserver.yml took ${Date.now() - started} ms`);
    expect(playbook.stdout).to.match(new RegExp(`${ns1.ipv4.replaceAll('.', '\\.')} +: ok=\\d+ +changed=\\d+ +unreachable=0 +failed=0`));
    expect(await on(ns1.ipv4, 'systemctl is-active named; systemctl is-enabled named; test -f /etc/bind/zones/db.example.com && echo zone', ssh)).to.equal(
      'active\nenabled\nzone\n',
    );
    const { stdout } = await run('dig', ['+short', '+norecurse', '+time=2', '+tries=2', `@${ns1.ipv4}`, 'example.com', 'SOA']);
    expect(stdout).to.equal('ns1.example.com. hostmaster.example.com. 2026112701 3600 600 86400 300\n');
    // The other host never ran the playbook: named is installed there (the root is this
    // machine's) but not running, as on a fresh Linode where it would not be installed.
    expect((await sshRun(ns2.ipv4, 'systemctl is-active named', ssh)).stdout).to.equal('inactive\n');
  });

  it('hands a deleted instance\'s address to the next new one, whose host presents other host keys', async () => {
    const le = labEmulator!;
    const old = le.hostOf(ns2.id)!;
    const oldKeys = await old.hostKeys();
    const oldPid = old.pid!;
    await deleteInstance(le, ns2.id);
    await waitForStatus(le, ns2.id, null);
    expect(le.hostOf(ns2.id)).to.equal(undefined);

    const ns3 = await createInstance(le, 'ns3', key);
    expect(ns3.ipv4).to.equal(ns2.ipv4);
    const host = await le.waitForSsh(ns3.id);
    expect(alive(oldPid)).to.equal(false);
    expect(old.state).to.equal('off');
    const newKeys = await host.hostKeys();
    expect(newKeys.map((k) => k.split(' ')[0])).to.deep.equal(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
    expect(newKeys.filter((k) => oldKeys.includes(k))).to.deep.equal([]);

    // The known_hosts file learned ns2's keys: ssh now refuses the address, as with a reused
    // address on Linode.
    const refused = await sshRun(ns3.ipv4, 'hostname', ssh);
    expect(refused.code).to.equal(255);
    expect(refused.stderr).to.contain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(await on(ns3.ipv4, 'hostname', { ...ssh, knownHostsFile: join(dir, 'known_hosts_ns3') })).to.equal('ns3\n');
  });

  it('leaves no namespace, link, mount, process or marker once closed', async () => {
    const le = labEmulator!;
    const id = le.lab.id;
    const pids = le.lab.hosts.map((h) => h.pid!);
    expect(pids).to.have.length(2);
    expect(await leftoversOf(id)).to.not.deep.equal([]);
    const started = Date.now();
    await le.close();
    console.log(`      closing the lab (${pids.length} hosts) took ${Date.now() - started} ms`);
    expect(await leftoversOf(id)).to.deep.equal([]);
    expect(pids.filter(alive)).to.deep.equal([]);
    expect(le.lab.hosts).to.deep.equal([]);
  });

  it('powers off a host whose boot was under way when the lab closed', async () => {
    const lab = await startLab();
    const booting = lab.boot({ authorizedKeys: [key.publicKey], hostname: 'late' });
    await lab.close();
    const host = await booting;
    expect(host.state).to.equal('off');
    expect(await leftoversOf(lab.id)).to.deep.equal([]);
    let refused = '';
    await lab.boot({ authorizedKeys: [key.publicKey] }).catch((e: Error) => (refused = e.message));
    expect(refused).to.equal(`lab ${lab.id} is closed`);
  });

  it('removes what a lab left when its process was killed (npm run lab, kill -9)', async () => {
    const child = spawn('node', ['--import=tsx/esm', join(REPO, 'scripts/lab.ts')], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const waitFor = async (pattern: RegExp): Promise<RegExpExecArray> => {
      for (let i = 0; i < 600; i++) {
        const match = pattern.exec(output);
        if (match) return match;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`npm run lab never printed ${pattern}; it printed:\n${output}`);
    };
    try {
      const id = (await waitFor(/^Lab ([0-9a-f]{8}) is up/m))[1] as string;
      const url = (await waitFor(/LINODE_URL=(\S+)/))[1] as string;
      const token = (await waitFor(/LINODE_TOKEN=(\S+)/))[1] as string;
      const keyDir = join((await waitFor(/SSH key: (\S+)/))[1] as string, '..');
      const response = await fetch(`${url}/linode/instances`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ label: 'orphan', region: 'us-east', type: 'g6-nanode-1', authorized_keys: [key.publicKey] }),
      });
      expect(response.status).to.equal(200);
      await waitFor(/sshd on \S+ answers/);
      const left = await leftoversOf(id);
      expect(left.filter((l) => l.startsWith('netns')).sort()).to.deep.equal([`netns infra-lab-${id}`, `netns infra-lab-${id}-1`]);

      child.kill('SIGKILL');
      await exited;
      // The host outlives its owner (nspawn runs in its own process group) until cleaned up.
      expect(await leftoversOf(id)).to.not.deep.equal([]);
      expect(await cleanStaleLabs()).to.deep.equal([id]);
      expect(await leftoversOf(id)).to.deep.equal([]);
      expect((await run('pgrep', ['-f', `infra-lab-${id}`]).catch(() => ({ stdout: '' }))).stdout).to.equal('');
      // The script's ssh-agent goes with it (a watchdog), and so does the key's directory.
      let keyDirGone = false;
      for (let i = 0; i < 40 && !keyDirGone; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        keyDirGone = await access(keyDir).then(() => false, () => true);
      }
      expect(keyDirGone).to.equal(true);
      expect((await run('pgrep', ['-f', `ssh-agent -D -a ${keyDir}`]).catch(() => ({ stdout: '' }))).stdout).to.equal('');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
