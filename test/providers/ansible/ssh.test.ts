/**
 * ansible_playbook against an ssh host, for real: ansible-playbook logs into a private sshd
 * (test/support/sshd.ts) with the host's ssh settings, and host keys go to the state's
 * known-hosts file, never to ~/.ssh/known_hosts.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inventoryFor, runPlaybook } from '../../../src/providers/ansible/run.js';
import { parseHost, stateKnownHostsFile, type HostRef } from '../../../src/providers/hostexec.js';
import { addLoopbackAddress, type LoopbackAddress } from '../../support/loopback.js';
import { startSshd, type Sshd } from '../../support/sshd.js';

const PLAYBOOK = `- hosts: all
  gather_facts: false
  tasks:
    - name: Who am I
      ansible.builtin.command: id -un
      register: who
      changed_when: false
    - name: Leave a mark
      ansible.builtin.copy:
        dest: "{{ mark }}"
        content: "{{ who.stdout }} {{ infra_ipv4 }}\\n"
`;

async function userKnownHosts(): Promise<string> {
  return readFile('/root/.ssh/known_hosts', 'utf8').catch(() => '(absent)');
}

/** ssh processes still running with a control socket of an ansible run. */
async function sharedConnections(): Promise<string[]> {
  const found: string[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const cmd = (await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ');
    if (cmd.startsWith('ssh') && cmd.includes('infra-ansible-')) found.push(cmd);
  }
  return found;
}

describe('ansible_playbook over ssh to a real sshd', function () {
  this.timeout(120_000);
  let address: LoopbackAddress | undefined;
  let sshd: Sshd | undefined;
  let dir = '';
  let host: HostRef;
  let knownHosts = '';
  let userKnownHostsBefore = '';

  before(async function () {
    address = await addLoopbackAddress();
    sshd = await startSshd({ address: address.address });
    dir = await mkdtemp(join(tmpdir(), 'infra-test-ansible-ssh-'));
    await writeFile(join(dir, 'mark.yml'), PLAYBOOK);
    knownHosts = stateKnownHostsFile({ stateDir: dir, lineage: 'ansible-ssh-test' });
    host = parseHost({
      ipv4: address.address,
      connection: 'ssh',
      ssh: { user: 'root', port: sshd.port, private_key_file: sshd.clientKeyFile, host_key_checking: 'accept-new', known_hosts_file: null },
    }) as HostRef;
    userKnownHostsBefore = await userKnownHosts();
  });

  after(async () => {
    await sshd?.stop();
    await address?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes the host\'s user, port, key and the ssh options hostexec uses into the inventory', function () {
    const inventory = inventoryFor(host, { knownHostsFile: '/state/.infra/L.known_hosts', controlPath: '/tmp/infra-ansible-x/cp' });
    expect(inventory).to.deep.equal({
      ansible_host: address!.address,
      ansible_user: 'root',
      ansible_port: sshd!.port,
      ansible_ssh_private_key_file: sshd!.clientKeyFile,
      ansible_ssh_common_args:
        '-o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/state/.infra/L.known_hosts ' +
        `-o HashKnownHosts=no -o LogLevel=ERROR -o IdentityFile=${sshd!.clientKeyFile} -o IdentitiesOnly=yes`,
      ansible_ssh_args: '-C -o ControlMaster=auto -o ControlPersist=60s -o ControlPath=/tmp/infra-ansible-x/cp',
      ansible_host_key_checking: true,
      infra_local: false,
      infra_ipv4: address!.address,
    });
  });

  it('runs the playbook as the configured user over the configured port and key; the host key goes to the state\'s file', async () => {
    const lines: string[] = [];
    const mark = join(dir, 'mark.txt');
    const diagnostics = await runPlaybook({ playbookPath: join(dir, 'mark.yml'), host, vars: { mark }, log: (l) => lines.push(l), knownHostsFile: knownHosts });
    expect(diagnostics, lines.join('\n')).to.deep.equal([]);
    expect(await readFile(mark, 'utf8')).to.equal(`root ${address!.address}\n`);
    expect((await readFile(knownHosts, 'utf8')).trim()).to.equal(`[${address!.address}]:${sshd!.port} ${sshd!.hostPublicKey}`);
    expect(await userKnownHosts()).to.equal(userKnownHostsBefore);
    expect(await sharedConnections()).to.deep.equal([]);
  });

  it('cannot get in without the configured key, and says it could not reach the host', async () => {
    const keyless = { ...host, ssh: { ...host.ssh!, privateKeyFile: null } };
    const diagnostics = await runPlaybook({ playbookPath: join(dir, 'mark.yml'), host: keyless, vars: { mark: join(dir, 'x') }, log: () => {}, knownHostsFile: knownHosts });
    expect(diagnostics.map((d) => d.summary)).to.deep.equal([`Playbook mark.yml could not reach ${address!.address} (task "Who am I")`]);
    expect(diagnostics[0]?.detail).to.include('Permission denied (publickey)');
    expect(await userKnownHosts()).to.equal(userKnownHostsBefore);
  });

  it('a private key file that cannot be read is said before ansible runs', async () => {
    const missing = { ...host, ssh: { ...host.ssh!, privateKeyFile: '/nonexistent/id_ed25519' } };
    const diagnostics = await runPlaybook({ playbookPath: join(dir, 'mark.yml'), host: missing, vars: { mark: join(dir, 'x') }, log: () => {}, knownHostsFile: knownHosts });
    expect(diagnostics.map((d) => [d.summary, d.detail])).to.deep.equal([
      [
        `Playbook mark.yml cannot reach ${address!.address}`,
        'the private key file /nonexistent/id_ed25519 (ssh.private_key_file of the host) cannot be read.',
      ],
    ]);
  });
});
