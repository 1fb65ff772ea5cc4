/**
 * linode_instance and the state's known-hosts file: a create forgets whatever key was known for
 * the new instance's address (a freed address handed to a new machine), a delete forgets the
 * deleted instance's key; and the `ssh` block travels in state to every consumer of the host.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Json } from '../../../src/evaluate/value.js';
import type { OperationContext } from '../../../src/providers/contract.js';
import { parseHost, stateKnownHostsFile } from '../../../src/providers/hostexec.js';
import { forgetListings, provider } from '../../../src/providers/linode/index.js';
import { startLinodeEmulator, type LinodeEmulator } from '../../support/linode-emulator.js';
import { closeServer, fastProviderConfig, freePort, instanceConfig, listen } from '../../support/linode-harness.js';

const LINEAGE = '2b8e6f0a-1c3d-4e5f-8a9b-0c1d2e3f4a5b';
const ADDRESS = 'linode_instance.lb["lb1"]';
const instance = provider.resourceTypes.linode_instance;

describe('linode_instance and host keys', () => {
  let emu: LinodeEmulator;
  let sshPort: number;
  let listeners: Server[];
  let stateDir: string;
  let knownHosts: string;
  let ctx: OperationContext;

  beforeEach(async () => {
    emu = await startLinodeEmulator({ provisioningMs: 30, bootingMs: 30, deletingMs: 30 });
    sshPort = await freePort();
    listeners = [];
    stateDir = await mkdtemp(join(tmpdir(), 'infra-test-hostkeys-'));
    knownHosts = stateKnownHostsFile({ stateDir, lineage: LINEAGE });
    await mkdir(dirname(knownHosts), { recursive: true });
    ctx = { stateDir, lineage: LINEAGE, providerConfig: fastProviderConfig(emu, { ssh_port: sshPort }), log: () => {}, signal: new AbortController().signal, env: process.env };
    forgetListings();
  });
  afterEach(async () => {
    await Promise.all(listeners.map(closeServer));
    await emu.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('a create forgets a key left for its address before first contact; a delete forgets the instance\'s key', async () => {
    const other = '198.51.100.9 ssh-ed25519 AAAAkeep';
    emu.onCreated = (i) => {
      // A key learned for this address when another instance had it.
      writeFileSync(knownHosts, `${i.ipv4[0]} ssh-ed25519 AAAAstale\n[${i.ipv4[0]}]:2222 ssh-ed25519 AAAAstale2\n${other}\n`);
      void listen(i.ipv4[0], sshPort).then((s) => listeners.push(s));
    };
    const created = await instance.create({ address: ADDRESS, generation: 0, config: instanceConfig({ label: 'lb1' }), configDir: '/nonexistent' }, ctx);
    expect(created.diagnostics).to.deep.equal([]);
    expect(await readFile(knownHosts, 'utf8')).to.equal(`${other}\n`);

    const address = created.state!['ipv4'] as string;
    // What the first ssh connection learns.
    await writeFile(knownHosts, `${other}\n${address} ssh-ed25519 AAAAlearned\n`);
    const deleted = await instance.delete({ address: ADDRESS, generation: 0, prior: created.state! }, ctx);
    expect(deleted.diagnostics).to.deep.equal([]);
    expect(await readFile(knownHosts, 'utf8')).to.equal(`${other}\n`);
  });

  it('keeps the ssh block in state, so the host object its consumers get carries it', async () => {
    emu.onCreated = (i) => void listen(i.ipv4[0], sshPort).then((s) => listeners.push(s));
    const key = join(stateDir, 'id_ed25519');
    await writeFile(key, 'a key', { mode: 0o600 });
    const ssh: Json = { user: 'deploy', port: sshPort, private_key_file: key, host_key_checking: 'strict', known_hosts_file: null };
    const created = await instance.create({ address: ADDRESS, generation: 0, config: instanceConfig({ label: 'lb1', ssh }), configDir: '/nonexistent' }, ctx);
    expect(created.diagnostics).to.deep.equal([]);
    expect(created.state!['ssh']).to.deep.equal(ssh);
    expect(parseHost(created.state!)).to.deep.include({
      connection: 'ssh',
      ssh: { user: 'deploy', port: sshPort, privateKeyFile: key, hostKeyChecking: 'strict', knownHostsFile: null },
    });
    // Taking the block out again is an update that only changes state.
    const updated = await instance.update({ address: ADDRESS, generation: 0, prior: created.state!, config: instanceConfig({ label: 'lb1' }), configDir: '/nonexistent' }, ctx);
    expect(updated.diagnostics).to.deep.equal([]);
    expect(updated.state!['ssh']).to.equal(null);
  });

  it("waits for sshd on the ssh block's port when it sets one, not the provider's ssh_port", async () => {
    emu.onCreated = (i) => void listen(i.ipv4[0], sshPort).then((s) => listeners.push(s));
    const closed = await freePort();
    const lines: string[] = [];
    const onOtherPort = { ...ctx, providerConfig: fastProviderConfig(emu, { ssh_port: closed }), log: (l: string) => void lines.push(l) };
    const ssh: Json = { user: 'root', port: sshPort, private_key_file: null, host_key_checking: 'accept-new', known_hosts_file: null };
    const created = await instance.create({ address: ADDRESS, generation: 0, config: instanceConfig({ label: 'lb1', ssh }), configDir: '/nonexistent' }, onOtherPort);
    expect(created.diagnostics).to.deep.equal([]);
    expect(lines.at(-1)).to.equal(`Linode ${created.state!['id']} "lb1" is ready: SSH answers on ${created.state!['ipv4']}:${sshPort}`);
  });

  it('plan reports a private key file that does not exist, naming the instance and the setting', () => {
    const missing = join(stateDir, 'no-such-key');
    const planned = instance.plan!({
      address: ADDRESS,
      generation: 0,
      prior: null,
      configDir: '/nonexistent',
      config: instanceConfig({ label: 'lb1', ssh: { user: 'root', port: 22, private_key_file: missing, host_key_checking: 'accept-new', known_hosts_file: null } }),
    });
    expect(planned.diagnostics).to.deep.equal([
      {
        severity: 'error',
        summary: `Private key file ${missing} does not exist`,
        detail: `ssh.private_key_file of ${ADDRESS} is "${missing}"; no file was found at ${missing}.`,
      },
    ]);
  });
});
