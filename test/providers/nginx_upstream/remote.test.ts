/**
 * nginx_upstream's remote path against a real sshd: the load balancer is this machine, reached
 * over ssh on a loopback address with the host's ssh settings (key, port, user, known-hosts
 * policy), its /etc/nginx a test folder mounted over the real one for the sshd's sessions only,
 * and nginx running there without systemd (as on the CI machine).
 */
import { expect } from 'chai';
import net from 'node:net';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '../../../src/evaluate/value.js';
import type { OperationContext, ResourceType } from '../../../src/providers/contract.js';
import { queryOnce, type DnsProtocol } from '../../../src/providers/dns_check/query.js';
import { soaSerial } from '../../../src/providers/dns_check/records.js';
import { forgetHostKey, parseHost, runOnHost, stateKnownHostsFile, type HostRef } from '../../../src/providers/hostexec.js';
import { provider } from '../../../src/providers/nginx_upstream/index.js';
import { startBind, zone, type BindServer } from '../../support/bind.js';
import { addLoopbackAddress, type LoopbackAddress } from '../../support/loopback.js';
import { startSshd, type Sshd } from '../../support/sshd.js';

const ADDRESS = 'nginx_upstream.dns["ns1"]';
const NAME = 'nginx_upstream_dns_ns1';
const LISTEN = 5353;
const LINEAGE = 'remote-test-lineage';

/** The main nginx.conf of the test's /etc/nginx, laid out as loadbalancer.yml's remote variant. */
const NGINX_CONF = `load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
pid /etc/nginx/nginx.pid;
error_log /etc/nginx/error.log;
events { worker_connections 64; }
stream { include /etc/nginx/streams/*.conf; }
`;

async function serialThrough(host: string, port: number, protocol: DnsProtocol): Promise<number | string> {
  const outcome = await queryOnce({ host, port }, 'example.test', 'SOA', protocol, 1000);
  if (outcome.kind !== 'answer') return outcome.kind === 'error' ? outcome.message : outcome.kind;
  return soaSerial(outcome.response) ?? 'no SOA';
}

/** The user's own known_hosts: what it holds now (or that it does not exist). */
async function userKnownHosts(): Promise<string> {
  return readFile('/root/.ssh/known_hosts', 'utf8').catch(() => '(absent)');
}

describe('nginx_upstream over ssh to a real sshd', function () {
  this.timeout(60_000);
  const upstream: ResourceType = provider.resourceTypes['nginx_upstream'];
  const addresses: LoopbackAddress[] = [];
  let ns: BindServer | undefined;
  let sshd: Sshd | undefined;
  let etcNginx = '';
  let stateDir = '';
  let lbAddress = '';
  let knownHostsBefore = '';
  let lb: Record<string, Json> = {};

  const context = (): OperationContext & { lines: string[] } => {
    const lines: string[] = [];
    return { stateDir, lineage: LINEAGE, providerConfig: {}, log: (l) => lines.push(l), signal: new AbortController().signal, env: process.env, lines };
  };
  const config = (host: Json = lb) => ({ lb: host, servers: [ns!.endpoint], listen: LISTEN, name: null });
  const lbHost = (): HostRef => parseHost(lb) as HostRef;
  const knownHosts = (): string => stateKnownHostsFile({ stateDir, lineage: LINEAGE });
  const nginxPid = async (): Promise<number> => Number((await readFile(join(etcNginx, 'nginx.pid'), 'utf8')).trim());
  const startSshdOn = (port?: number, clientKeyFile?: string) =>
    startSshd({ address: lbAddress, ...(port ? { port } : {}), ...(clientKeyFile ? { clientKeyFile } : {}), binds: [{ source: etcNginx, target: '/etc/nginx' }] });

  before(async function () {
    if (!existsSync('/etc/nginx')) this.skip();
    for (let i = 0; i < 2; i++) addresses.push(await addLoopbackAddress());
    ns = await startBind({ address: addresses[0].address, zones: [zone('example.test', 7)] });
    lbAddress = addresses[1].address;
    etcNginx = await mkdtemp(join(tmpdir(), 'infra-test-etc-nginx-'));
    await mkdir(join(etcNginx, 'streams'));
    await writeFile(join(etcNginx, 'nginx.conf'), NGINX_CONF);
    stateDir = await mkdtemp(join(tmpdir(), 'infra-test-state-'));
    knownHostsBefore = await userKnownHosts();
    sshd = await startSshdOn();
    lb = {
      ipv4: lbAddress,
      connection: 'ssh',
      ssh: { user: 'root', port: sshd.port, private_key_file: sshd.clientKeyFile, host_key_checking: 'accept-new', known_hosts_file: null },
    };
    // nginx started through the host itself, so it runs with the host's /etc/nginx.
    const started = await runOnHost(lbHost(), ['nginx'], { knownHostsFile: knownHosts() });
    expect(started.problem).to.equal(undefined);
  });

  after(async () => {
    const pid = etcNginx ? await nginxPid().catch(() => 0) : 0;
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already stopped by a test
      }
    }
    await sshd?.stop();
    await ns?.stop();
    for (const a of addresses) await a.remove();
    if (etcNginx) await rm(etcNginx, { recursive: true, force: true });
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('create logs in with the configured key, user and port, learns the host key into the state\'s file, and traffic flows', async () => {
    const ctx = context();
    const r = await upstream.create({ address: ADDRESS, generation: 0, config: config(), configDir: '.' }, ctx);
    expect(r.diagnostics).to.deep.equal([]);
    const planned = upstream.plan!({ address: ADDRESS, generation: 0, prior: null, configDir: '.', config: config() }).planned['config'];
    expect(await readFile(join(etcNginx, 'streams', `${NAME}.conf`), 'utf8')).to.equal(planned);
    expect(await serialThrough(lbAddress, LISTEN, 'udp')).to.equal(7);
    expect(await serialThrough(lbAddress, LISTEN, 'tcp')).to.equal(7);
    expect(ctx.lines).to.deep.equal([`reloaded nginx on host ${lbAddress}`]);
    expect(knownHosts()).to.equal(join(stateDir, '.infra', `${LINEAGE}.known_hosts`));
    expect((await readFile(knownHosts(), 'utf8')).trim()).to.equal(`[${lbAddress}]:${sshd!.port} ${sshd!.hostPublicKey}`);
    expect(await userKnownHosts()).to.equal(knownHostsBefore);
  });

  it('drained reads the host\'s socket tables over ssh: a TCP connection held open through it to the server keeps the old path busy', async () => {
    const previous = { ...config(), config: 'x' };
    const current = { ...config(), servers: ['127.0.0.9:53'], config: 'y' };
    const request = { address: ADDRESS, generation: 0, current, previous };
    const client = net.connect({ host: lbAddress, port: LISTEN });
    await new Promise((r) => client.once('connect', r));
    try {
      // nginx connects upstream once the client has sent something.
      client.write(Buffer.from([0, 12, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
      let answer = await upstream.drained!(request, context());
      for (let i = 0; i < 20 && answer.drained; i++) answer = await upstream.drained!(request, context());
      expect(answer).to.deep.equal({ drained: false, remaining: `1 TCP connection from host ${lbAddress} to ${ns!.endpoint}`, diagnostics: [] });
    } finally {
      client.destroy();
    }
    let answer = await upstream.drained!(request, context());
    for (let i = 0; i < 50 && !answer.drained; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await upstream.drained!(request, context());
    }
    expect(answer).to.deep.equal({ drained: true, remaining: '', diagnostics: [] });
  });

  it('read reaches the host the same way and sees a hand edit', async () => {
    await writeFile(join(etcNginx, 'streams', `${NAME}.conf`), '# edited by hand\n');
    const r = await upstream.read({ address: ADDRESS, generation: 0, prior: { ...config(), config: 'x' } }, context());
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.state?.['config']).to.equal('# edited by hand\n');
  });

  it('without the configured key the host refuses the login (the key is what lets it in)', async () => {
    const noKey = { ...lb, ssh: { ...(lb['ssh'] as Record<string, Json>), private_key_file: null } };
    const r = await upstream.read({ address: ADDRESS, generation: 0, prior: { ...config(noKey), config: 'x' } }, context());
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal([`Cannot read /etc/nginx/streams/${NAME}.conf on host ${lbAddress}`]);
    expect(r.diagnostics[0]?.detail).to.equal(`ssh to ${lbAddress} on ${lbAddress} exited with status 255: root@${lbAddress}: Permission denied (publickey).`);
  });

  it('a private key file that is gone is reported before ssh runs', async () => {
    const gone = { ...lb, ssh: { ...(lb['ssh'] as Record<string, Json>), private_key_file: '/nonexistent/id_ed25519' } };
    const r = await upstream.create({ address: ADDRESS, generation: 0, config: config(gone), configDir: '.' }, context());
    expect(r.diagnostics.map((d) => [d.summary, d.detail])).to.deep.equal([
      [
        `Cannot reach the load balancer host ${lbAddress}`,
        `cannot ssh to ${lbAddress}: the private key file /nonexistent/id_ed25519 (ssh.private_key_file of the host) cannot be read`,
      ],
    ]);
  });

  it('a new host on the same address: the stale key is refused until forgotten, then the new key is learned', async () => {
    const port = sshd!.port;
    const clientKey = join(stateDir, 'client_ed25519');
    await writeFile(clientKey, await readFile(sshd!.clientKeyFile), { mode: 0o600 });
    await writeFile(`${clientKey}.pub`, await readFile(`${sshd!.clientKeyFile}.pub`));
    await sshd!.stop();
    sshd = await startSshdOn(port, clientKey);
    lb = { ...lb, ssh: { ...(lb['ssh'] as Record<string, Json>), private_key_file: clientKey } };

    const refused = await upstream.read({ address: ADDRESS, generation: 0, prior: { ...config(), config: 'x' } }, context());
    expect(refused.diagnostics[0]?.detail).to.equal(`ssh to ${lbAddress} on ${lbAddress} exited with status 255: Host key verification failed.`);

    // What linode_instance's create does before first contact with a new instance.
    expect(await forgetHostKey(knownHosts(), lbAddress)).to.equal(undefined);
    expect(await readFile(knownHosts(), 'utf8')).to.equal('');
    const r = await upstream.update(
      { address: ADDRESS, generation: 0, prior: { ...config(), config: 'x' }, config: config(), configDir: '.' },
      context(),
    );
    expect(r.diagnostics).to.deep.equal([]);
    expect(await serialThrough(lbAddress, LISTEN, 'udp')).to.equal(7);
    expect((await readFile(knownHosts(), 'utf8')).trim()).to.equal(`[${lbAddress}]:${port} ${sshd.hostPublicKey}`);
    expect(await userKnownHosts()).to.equal(knownHostsBefore);
  });

  it('without systemd, a stopped nginx is found through its pid file and said so precisely', async () => {
    const pid = await nginxPid();
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 50));
    const r = await upstream.update(
      { address: ADDRESS, generation: 0, prior: { ...config(), config: 'x' }, config: config(), configDir: '.' },
      context(),
    );
    expect(r.diagnostics.map((d) => [d.summary, d.detail])).to.deep.equal([
      [
        `nginx is not running on host ${lbAddress} - provision it with ansible/loadbalancer.yml first`,
        "no systemd on the host (no /run/systemd/system), and nginx's pid file /etc/nginx/nginx.pid names no running process.",
      ],
    ]);
    // And delete of an upstream on a stopped nginx still takes the file out.
    const d = await upstream.delete({ address: ADDRESS, generation: 0, prior: { ...config(), config: 'x' } }, context());
    expect(d.diagnostics).to.deep.equal([]);
    expect(existsSync(join(etcNginx, 'streams', `${NAME}.conf`))).to.equal(false);
    expect(await userKnownHosts()).to.equal(knownHostsBefore);
  });
});
