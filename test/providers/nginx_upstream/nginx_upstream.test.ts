import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UNKNOWN, type Json } from '../../../src/evaluate/value.js';
import type { OperationContext, ResourceType } from '../../../src/providers/contract.js';
import { queryOnce, type DnsProtocol } from '../../../src/providers/dns_check/query.js';
import { soaSerial } from '../../../src/providers/dns_check/records.js';
import { provider } from '../../../src/providers/nginx_upstream/index.js';
import { defaultUpstreamName } from '../../../src/providers/nginx_upstream/render.js';
import { installScript, SERVICE_FUNCTIONS } from '../../../src/providers/nginx_upstream/remote.js';
import { startBind, zone, type BindServer } from '../../support/bind.js';
import { addLoopbackAddress, type LoopbackAddress } from '../../support/loopback.js';
import { startNginx, type NginxServer } from '../../support/nginx.js';

const ADDRESS = 'nginx_upstream.dns["ns1"]';
const NAME = 'nginx_upstream_dns_ns1';

function context(): OperationContext & { lines: string[] } {
  const lines: string[] = [];
  return { stateDir: '/nonexistent', lineage: 'test', providerConfig: {}, log: (l) => lines.push(l), signal: new AbortController().signal, env: process.env, lines };
}

/** The SOA serial `example.test` has through `endpoint`, or what went wrong. */
async function serialThrough(host: string, port: number, protocol: DnsProtocol): Promise<number | string> {
  const outcome = await queryOnce({ host, port }, 'example.test', 'SOA', protocol, 1000);
  if (outcome.kind !== 'answer') return outcome.kind === 'error' ? outcome.message : outcome.kind;
  return soaSerial(outcome.response) ?? 'no SOA';
}

describe('nginx_upstream: rendering and plan', () => {
  const upstream: ResourceType = provider.resourceTypes['nginx_upstream'];
  const lb = { ipv4: '127.64.0.4', dir: '/srv/lb', connection: 'local' };

  it('renders an upstream with a UDP and a TCP listener', () => {
    const r = upstream.plan!({ address: ADDRESS, generation: 0, prior: null, configDir: '.', config: { lb, servers: ['127.64.0.5:53', '127.64.0.6:53'], listen: 53, name: null } });
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.planned['config']).to.equal(`# nginx_upstream.dns["ns1"]: written by infra; a change made here is overwritten on the next apply.
upstream nginx_upstream_dns_ns1 {
    server 127.64.0.5:53;
    server 127.64.0.6:53;
}

# DNS over UDP: a session ends with its one answer.
server {
    listen 127.64.0.4:53 udp;
    proxy_pass nginx_upstream_dns_ns1;
    proxy_responses 1;
    proxy_timeout 2s;
}

# DNS over TCP.
server {
    listen 127.64.0.4:53;
    proxy_pass nginx_upstream_dns_ns1;
    proxy_timeout 10s;
}
`);
  });

  it('leaves config unknown while servers or lb are unknown', () => {
    for (const config of [
      { lb, servers: ['127.64.0.5:53', UNKNOWN] },
      { lb: { ipv4: UNKNOWN, dir: '/srv/lb', connection: 'local' }, servers: ['127.64.0.5:53'] },
      { lb: UNKNOWN, servers: ['127.64.0.5:53'] },
    ]) {
      expect(upstream.plan!({ address: ADDRESS, generation: 0, prior: null, configDir: '.', config })).to.deep.equal({ planned: {}, diagnostics: [] });
    }
  });

  it('reports bad servers, ports, names and hosts', () => {
    const r = upstream.plan!({
      address: ADDRESS,
      generation: 0,
      prior: null,
      configDir: '.',
      config: { lb: { dir: '/srv/lb' }, servers: ['127.64.0.5', 'ns1:53'], listen: 70000, name: 'a b' },
    });
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal([
      `Invalid "lb" for ${ADDRESS}`,
      `Invalid server "127.64.0.5" for ${ADDRESS}`,
      `Invalid server "ns1:53" for ${ADDRESS}`,
      `Invalid "listen" for ${ADDRESS}`,
      `Invalid "name" for ${ADDRESS}`,
    ]);
  });

  it('derives the default name from the address', () => {
    expect(defaultUpstreamName('nginx_upstream.dns["ns1"]')).to.equal('nginx_upstream_dns_ns1');
    expect(defaultUpstreamName('module.edge.nginx_upstream.lb[0]')).to.equal('module_edge_nginx_upstream_lb_0');
  });

  it('sequences a remote change as swap, test, swap back or reload', () => {
    expect(installScript('/etc/nginx/streams/x.conf', undefined)).to.equal(`${SERVICE_FUNCTIONS}
nginx_running || exit 10
had=0; if [ -e /etc/nginx/streams/x.conf ]; then cp -p /etc/nginx/streams/x.conf /etc/nginx/streams/x.conf.prev && had=1 || exit 1; fi
mv -f /etc/nginx/streams/x.conf.new /etc/nginx/streams/x.conf || exit 1
if ! nginx -t; then
  if [ $had = 1 ]; then cp -p /etc/nginx/streams/x.conf.prev /etc/nginx/streams/x.conf; else rm -f /etc/nginx/streams/x.conf; fi
  exit 11
fi
nginx_reload_confirmed`);
  });

  it('asks the host which service manager runs nginx instead of assuming systemd', () => {
    expect(SERVICE_FUNCTIONS.split('\n').filter((l) => /^(if|else|fi|  nginx_(running|reload)\(\))/.test(l)).map((l) => l.replace(/\{.*/, '').trim())).to.deep.equal([
      'if [ -d /run/systemd/system ]; then',
      'nginx_running()',
      'nginx_reload()',
      'else',
      'nginx_running()',
      'nginx_reload()',
      'fi',
    ]);
    expect(SERVICE_FUNCTIONS).to.include('  nginx_reload() { systemctl reload nginx; }\nelse\n');
    expect(SERVICE_FUNCTIONS).to.include('  nginx_reload() { nginx -s reload; }\nfi\n');
  });
});

describe('nginx_upstream with a real nginx', function () {
  this.timeout(30_000);
  const upstream: ResourceType = provider.resourceTypes['nginx_upstream'];
  const addresses: LoopbackAddress[] = [];
  let nsA: BindServer | undefined;
  let nsB: BindServer | undefined;
  let nginx: NginxServer | undefined;
  let lbAddress = '';
  let lb: Record<string, Json> = {};
  let file = '';

  before(async () => {
    for (let i = 0; i < 3; i++) addresses.push(await addLoopbackAddress());
    nsA = await startBind({ address: addresses[0].address, zones: [zone('example.test', 1)] });
    nsB = await startBind({ address: addresses[1].address, zones: [zone('example.test', 2)] });
    nginx = await startNginx();
    lbAddress = addresses[2].address;
    lb = nginx.lb(lbAddress);
    file = join(nginx.streamsDir, `${NAME}.conf`);
  });

  after(async () => {
    await nginx?.stop();
    await nsA?.stop();
    await nsB?.stop();
    for (const a of addresses) await a.remove();
  });

  const config = (servers: string[]) => ({ lb, servers, listen: 53, name: null });

  it('create writes the file, reloads, and traffic reaches the server', async () => {
    const ctx = context();
    const r = await upstream.create({ address: ADDRESS, generation: 0, config: config([nsA!.endpoint]), configDir: '.' }, ctx);
    expect(r.diagnostics).to.deep.equal([]);
    const planned = upstream.plan!({ address: ADDRESS, generation: 0, prior: null, configDir: '.', config: config([nsA!.endpoint]) }).planned['config'];
    expect(r.state).to.deep.equal({ ...config([nsA!.endpoint]), config: planned });
    expect(await readFile(file, 'utf8')).to.equal(planned);
    expect(await serialThrough(lbAddress, 53, 'udp')).to.equal(1);
    expect(await serialThrough(lbAddress, 53, 'tcp')).to.equal(1);
    expect(ctx.lines.some((l) => l.startsWith(`reloaded nginx on local_host ${lbAddress}`))).to.equal(true);
  });

  it('update moves traffic to the new server and keeps the previous file', async () => {
    const before = await readFile(file, 'utf8');
    const prior = { ...config([nsA!.endpoint]), config: before };
    const r = await upstream.update({ address: ADDRESS, generation: 0, prior, config: config([nsB!.endpoint]), configDir: '.' }, context());
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.state['servers']).to.deep.equal([nsB!.endpoint]);
    expect(await serialThrough(lbAddress, 53, 'udp')).to.equal(2);
    expect(await serialThrough(lbAddress, 53, 'tcp')).to.equal(2);
    expect(await readFile(`${file}.prev`, 'utf8')).to.equal(before);
  });

  it('read returns the file as it is', async () => {
    const prior = { ...config([nsB!.endpoint]), config: 'stale' };
    const r = await upstream.read({ address: ADDRESS, generation: 0, prior }, context());
    expect(r.state?.['config']).to.equal(await readFile(file, 'utf8'));
  });

  it('a configuration nginx -t rejects leaves the live one untouched', async () => {
    const live = await readFile(file, 'utf8');
    // A second upstream on the same address and port: nginx refuses two listeners on one port.
    const clash = 'nginx_upstream.clash';
    const r = await upstream.create({ address: clash, generation: 0, config: config([nsA!.endpoint]), configDir: '.' }, context());
    expect(r.state).to.equal(null);
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal([`nginx -t rejected the new configuration of nginx_upstream_clash on local_host ${lbAddress}`]);
    expect(r.diagnostics[0].detail).to.equal(
      `nginx: [emerg] duplicate "${lbAddress}:53" address and port pair in ${nginx!.streamsDir}/${NAME}.conf:8\nThe live configuration is unchanged.`,
    );
    expect(existsSync(join(nginx!.streamsDir, 'nginx_upstream_clash.conf'))).to.equal(false);
    expect(await readFile(file, 'utf8')).to.equal(live);
    expect(await serialThrough(lbAddress, 53, 'udp')).to.equal(2);
  });

  it('a reload nginx refuses is rolled back', async () => {
    // nginx -t does not bind; the reload does, and named already holds this address's port 53.
    const taken = nsA!.address;
    const address = 'nginx_upstream.taken';
    const r = await upstream.create(
      { address, generation: 0, config: { lb: { ...lb, ipv4: taken }, servers: [nsB!.endpoint], listen: 53, name: null }, configDir: '.' },
      context(),
    );
    expect(r.state).to.equal(null);
    expect(r.diagnostics.map((d) => d.summary)).to.deep.equal([`nginx on local_host ${taken} did not take the new configuration of nginx_upstream_taken`]);
    expect(r.diagnostics[0].detail).to.match(
      new RegExp(`^nginx refused the reload:\\n\\[emerg\\] bind\\(\\) to ${taken.replace(/\./g, '\\.')}:53 failed \\(98: Address already in use\\)\\n\\[emerg\\] still could not bind\\(\\)\\nThe previous configuration was restored and reloaded\\.$`),
    );
    expect(existsSync(join(nginx!.streamsDir, 'nginx_upstream_taken.conf'))).to.equal(false);
    expect(await serialThrough(lbAddress, 53, 'tcp')).to.equal(2);
  });

  it('renaming the upstream retires the old file in the same reload', async () => {
    const prior = { ...config([nsB!.endpoint]), config: await readFile(file, 'utf8') };
    const renamed = { ...config([nsA!.endpoint]), name: 'dns-renamed' };
    const r = await upstream.update({ address: ADDRESS, generation: 0, prior, config: renamed, configDir: '.' }, context());
    expect(r.diagnostics).to.deep.equal([]);
    expect(existsSync(file)).to.equal(false);
    expect(existsSync(join(nginx!.streamsDir, 'dns-renamed.conf'))).to.equal(true);
    expect(await serialThrough(lbAddress, 53, 'udp')).to.equal(1);
    const back = await upstream.update({ address: ADDRESS, generation: 0, prior: r.state, config: config([nsB!.endpoint]), configDir: '.' }, context());
    expect(back.diagnostics).to.deep.equal([]);
    expect(existsSync(join(nginx!.streamsDir, 'dns-renamed.conf'))).to.equal(false);
  });

  it('delete removes the file and traffic stops; read then finds nothing', async () => {
    const prior = { ...config([nsB!.endpoint]), config: await readFile(file, 'utf8') };
    const r = await upstream.delete({ address: ADDRESS, generation: 0, prior }, context());
    expect(r.diagnostics).to.deep.equal([]);
    expect(existsSync(file)).to.equal(false);
    expect(existsSync(`${file}.prev`)).to.equal(true);
    expect(await serialThrough(lbAddress, 53, 'tcp')).to.equal(`connect ECONNREFUSED ${lbAddress}:53`);
    expect(await upstream.read({ address: ADDRESS, generation: 0, prior }, context())).to.deep.equal({ state: null, diagnostics: [] });
    expect(await upstream.delete({ address: ADDRESS, generation: 0, prior }, context())).to.deep.equal({ diagnostics: [] });
  });

  it('says so when nginx is not running on the load balancer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'infra-test-nolb-'));
    try {
      const lonely = { ipv4: lbAddress, dir, connection: 'local' };
      const r = await upstream.create({ address: ADDRESS, generation: 0, config: { ...config([nsA!.endpoint]), lb: lonely }, configDir: '.' }, context());
      expect(r.state).to.equal(null);
      expect(r.diagnostics).to.deep.equal([
        {
          severity: 'error',
          summary: `nginx is not running on local_host ${lbAddress} - provision it with ansible/loadbalancer.yml first`,
          detail: `No nginx to configure: there is no pid file ${dir}/nginx/nginx.pid.`,
        },
      ]);
      await writeFile(join(dir, 'marker'), '');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
