/**
 * `nginx_upstream` with `switch = "nftables"`: rendering and parsing, then against a real nginx,
 * two real BINDs and the kernel's nftables and conntrack: a switch that reloads nothing, flows
 * opened before it staying with blue until they end, drift, and removal.
 */
import { expect } from 'chai';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { UNKNOWN, type Json } from '../../../src/evaluate/value.js';
import type { OperationContext } from '../../../src/providers/contract.js';
import { provider } from '../../../src/providers/nginx_upstream/index.js';
import { childrenOf } from '../../../src/providers/nginx_upstream/processes.js';
import { countSteeredFlows, defaultSteerPort, renderSteering, SteerSite, steeredServers, steerTable } from '../../../src/providers/nginx_upstream/steer.js';
import { queryOnce } from '../../../src/providers/dns_check/query.js';
import { soaSerial } from '../../../src/providers/dns_check/records.js';
import type { BindServer } from '../../support/bind.js';
import type { NginxServer } from '../../support/nginx.js';
import { startSwitchRig, type SwitchRig } from '../../support/switch-rig.js';
import { requireCommands, requireRoot } from '../../support/root.js';

const run = promisify(execFile);
const upstream = provider.resourceTypes['nginx_upstream'];

function context(): OperationContext & { lines: string[] } {
  const lines: string[] = [];
  return { stateDir: '/nonexistent', lineage: 'test', providerConfig: {}, log: (l) => lines.push(l), signal: new AbortController().signal, env: process.env, lines };
}

describe('nginx_upstream switch = "nftables": rendering', () => {
  const lb = { ipv4: '127.64.0.4', dir: '/srv/lb', connection: 'local' };
  const address = 'nginx_upstream.dns["ns1"]';

  it('points nginx at the steer point and renders the rules that send it to the servers', () => {
    const r = upstream.plan!({ address, generation: 0, prior: null, configDir: '.', config: { lb, servers: ['127.64.0.5:53'], listen: 53, name: null, switch: 'nftables', steer_port: 20053 } });
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.planned['config']).to.include(`upstream nginx_upstream_dns_ns1 {
    # switch = "nftables": nftables sends what reaches this address to the servers (nginx_upstream_dns_ns1.nft).
    server 127.64.0.4:20053;
}`);
    expect(r.planned['steering']).to.equal(`# nginx_upstream.dns["ns1"]: written by infra; a change made here is overwritten on the next apply.
# nginx sends this upstream's traffic to 127.64.0.4:20053; these rules send it on.
table ip infra_nginx_upstream_dns_ns1_127_64_0_4 {
    ct timeout dns_udp {
        protocol udp;
        l3proto ip;
        policy = { unreplied : 2, replied : 1 };
    }
    chain steer {
        type nat hook output priority -100; policy accept;
    }
    chain expire {
        type filter hook output priority 0; policy accept;
    }
}
flush chain ip infra_nginx_upstream_dns_ns1_127_64_0_4 steer
flush chain ip infra_nginx_upstream_dns_ns1_127_64_0_4 expire
table ip infra_nginx_upstream_dns_ns1_127_64_0_4 {
    chain steer {
        ip daddr 127.64.0.4 meta l4proto { tcp, udp } th dport 20053 dnat to 127.64.0.5:53
    }
    chain expire {
        meta l4proto udp ct original ip daddr 127.64.0.4 ct original proto-dst 20053 ct timeout set "dns_udp"
    }
}
`);
  });

  it('keeps the nginx file the same when only the servers change, so a switch is the rules alone', () => {
    const plan = (servers: string[]) => upstream.plan!({ address, generation: 0, prior: null, configDir: '.', config: { lb, servers, switch: 'nftables' } }).planned;
    const blue = plan(['127.64.0.5:53']);
    const green = plan(['127.64.0.7:53']);
    expect(green['config']).to.equal(blue['config']);
    expect(green['steering']).to.not.equal(blue['steering']);
    expect(green['steering']).to.include('dnat to 127.64.0.7:53');
  });

  it('knows the nginx file at plan while only the servers are unknown (a green address): the switch reloads nothing', () => {
    const r = upstream.plan!({ address, generation: 0, prior: null, configDir: '.', config: { lb, servers: [UNKNOWN], switch: 'nftables' } });
    expect(r.diagnostics).to.deep.equal([]);
    expect(r.planned['config']).to.equal(upstream.plan!({ address, generation: 0, prior: null, configDir: '.', config: { lb, servers: ['127.64.0.5:53'], switch: 'nftables' } }).planned['config']);
    expect(r.planned).to.not.have.property('steering');
    // A reload switch writes the servers into the file: unknown with them.
    expect(upstream.plan!({ address, generation: 0, prior: null, configDir: '.', config: { lb, servers: [UNKNOWN] } }).planned).to.deep.equal({});
  });

  it('spreads several servers round robin', () => {
    const text = renderSteering({ lbIpv4: '10.0.0.4', port: 20001, servers: ['10.0.0.5:53', '10.0.0.6:5353'], name: 'x' }, 'nginx_upstream.x');
    expect(text).to.include('th dport 20001 dnat ip addr . port to numgen inc mod 2 map { 0 : 10.0.0.5 . 53, 1 : 10.0.0.6 . 5353 }');
  });

  it('has a stable default steer port from the name, below the ephemeral ports', () => {
    expect(defaultSteerPort('nginx_upstream_dns_ns1')).to.equal(defaultSteerPort('nginx_upstream_dns_ns1'));
    expect(defaultSteerPort('nginx_upstream_dns_ns1')).to.not.equal(defaultSteerPort('nginx_upstream_dns_ns2'));
    for (const n of ['a', 'nginx_upstream_dns_ns1', 'z-9']) expect(defaultSteerPort(n)).to.be.within(20000, 29999);
    expect(steerTable('lb-1', '10.0.0.4')).to.equal('infra_lb_1_10_0_0_4');
  });

  it('reports a wrong switch, a steer_port without nftables and IPv6 servers', () => {
    const diagnose = (config: Record<string, Json>) => upstream.plan!({ address, generation: 0, prior: null, configDir: '.', config: { lb, servers: ['127.64.0.5:53'], ...config } }).diagnostics.map((d) => `${d.summary}: ${d.detail}`);
    expect(diagnose({ switch: 'ipvs' })).to.deep.equal([
      `Invalid "switch" for ${address}: Expected "reload" (rewrite the nginx file and reload nginx) or "nftables" (replace an nftables rule; nginx is not reloaded), got "ipvs".`,
    ]);
    expect(diagnose({ steer_port: 20053 })).to.deep.equal([
      `"steer_port" needs switch = "nftables" for ${address}: The steer port is where nginx sends traffic for nftables to steer; a reload switch has none.`,
    ]);
    expect(diagnose({ switch: 'nftables', steer_port: 0 })).to.deep.equal([`Invalid "steer_port" for ${address}: Expected a port number from 1 to 65535, got 0.`]);
    expect(diagnose({ switch: 'nftables', servers: ['[::1]:53'] })).to.deep.equal([
      `Server "[::1]:53" of ${address} is not IPv4: switch = "nftables" steers IPv4 traffic (the load balancer's ipv4) to IPv4 servers.`,
    ]);
  });

  it('reads the servers back from nft list table, one server or a map', () => {
    expect(steeredServers('\t\tip daddr 127.64.0.4 meta l4proto { tcp, udp } th dport 20053 dnat ip to 127.64.0.5:53\n')).to.deep.equal(['127.64.0.5:53']);
    expect(steeredServers('th dport 20001 dnat ip to numgen inc mod 2 map { 0 : 10.0.0.6 . 5353, 1 : 10.0.0.5 . 53 }')).to.deep.equal(['10.0.0.5:53', '10.0.0.6:5353']);
    expect(steeredServers('table ip infra_x {\n}')).to.equal(null);
  });

  it('counts the flows through the steer point that still go to a server, from conntrack -L', () => {
    const listing = [
      'udp      17 1 src=127.0.0.1 dst=127.64.0.4 sport=40144 dport=20053 src=127.64.0.5 dst=127.0.0.1 sport=53 dport=40144 mark=0 use=1',
      'udp      17 0 src=127.0.0.1 dst=127.64.0.4 sport=40145 dport=20053 src=127.64.0.5 dst=127.0.0.1 sport=53 dport=40145 mark=0 use=1',
      'udp      17 2 src=127.0.0.1 dst=127.64.0.4 sport=40146 dport=20053 [UNREPLIED] src=127.64.0.5 dst=127.0.0.1 sport=53 dport=40146 mark=0 use=1',
      'udp      17 2 src=127.0.0.1 dst=127.64.0.4 sport=40147 dport=20053 src=127.64.0.7 dst=127.0.0.1 sport=53 dport=40147 mark=0 use=1',
      'udp      17 25 src=127.0.0.1 dst=127.64.0.4 sport=40148 dport=53 src=127.64.0.4 dst=127.0.0.1 sport=53 dport=40148 mark=0 use=1',
      'tcp      6 431999 ESTABLISHED src=127.0.0.1 dst=127.64.0.4 sport=51234 dport=20053 src=127.64.0.5 dst=127.0.0.1 sport=53 dport=51234 [ASSURED] mark=0 use=1',
      'tcp      6 119 TIME_WAIT src=127.0.0.1 dst=127.64.0.4 sport=51235 dport=20053 src=127.64.0.5 dst=127.0.0.1 sport=53 dport=51235 [ASSURED] mark=0 use=1',
    ].join('\n');
    // The answered one less than its timeout ago and the unanswered one; not the expired one,
    // not green's, not another port's; the established TCP connection, not the closed one.
    expect(countSteeredFlows(listing, '127.64.0.4', 20053, ['127.64.0.5:53'])).to.deep.equal({ tcp: 1, udp: 2 });
    expect(countSteeredFlows(listing, '127.64.0.4', 20053, ['127.64.0.7:53'])).to.deep.equal({ tcp: 0, udp: 1 });
  });
});

/** One SOA query over UDP from a fresh socket; the serial, or 'lost' after `timeoutMs`. */
async function udpSerial(host: string, port: number, timeoutMs = 1000): Promise<number | 'lost'> {
  const outcome = await queryOnce({ host, port }, 'example.test', 'SOA', 'udp', timeoutMs);
  return outcome.kind === 'answer' ? (soaSerial(outcome.response) ?? 'lost') : 'lost';
}

/** Sends one SOA query on `socket` and resolves with the answer's serial. */
function tcpAsk(socket: net.Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('data', (chunk: Buffer) => {
      const soa = dnsPacket.streamDecode(chunk).answers?.find((a) => a.type === 'SOA');
      if (soa?.type === 'SOA' && soa.data.serial !== undefined) resolve(soa.data.serial);
      else reject(new Error('no SOA in the answer'));
    });
    socket.write(dnsPacket.streamEncode({ id: 7, type: 'query', questions: [{ name: 'example.test', type: 'SOA' }] }));
  });
}

describe('nginx_upstream switch = "nftables": against nginx, BIND and the kernel', function () {
  this.timeout(60_000);
  let rig: SwitchRig | undefined;
  let blue: BindServer;
  let green: BindServer;
  let nginx: NginxServer;

  before(async function () {
    requireRoot('nginx_upstream switch = "nftables"');
    requireCommands('nft', 'conntrack', 'named', 'nginx');
    rig = await startSwitchRig();
    ({ blue, green, nginx } = rig);
  });

  after(async () => {
    await rig?.stop();
  });

  it('switches by replacing the rule: nginx keeps its workers, new queries reach green, open flows stay with blue until they end', async () => {
    const lb = rig!.lb;
    const address = 'nginx_upstream.steered';
    const table = steerTable('nginx_upstream_steered', lb);
    const config = (servers: string[]) => ({ lb: nginx.lb(lb), servers, listen: 53, name: null, switch: 'nftables', steer_port: null });
    const created = await upstream.create({ address, generation: 0, config: config([blue.endpoint]), configDir: '.' }, context());
    expect(created.diagnostics).to.deep.equal([]);
    try {
      expect(await udpSerial(lb, 53)).to.equal(1);
      const steering = created.state!['steering'] as string;
      expect(await readFile(`${nginx.dir}/nginx/steer/nginx_upstream_steered.nft`, 'utf8')).to.equal(steering);
      expect(steeredServers((await run('nft', ['list', 'table', 'ip', table])).stdout)).to.deep.equal([blue.endpoint]);

      const client = net.connect({ host: lb, port: 53 });
      await new Promise((r) => client.once('connect', r));
      try {
        expect(await tcpAsk(client)).to.equal(1);
        const workers = await childrenOf(await nginx.masterPid());
        const ctx = context();
        const switched = await upstream.update({ address, generation: 0, prior: created.state!, config: config([green.endpoint]), configDir: '.' }, ctx);
        expect(switched.diagnostics).to.deep.equal([]);
        expect(ctx.lines).to.deep.equal([`nftables on local_host ${lb}: ${lb}:${defaultSteerPort('nginx_upstream_steered')} now goes to ${green.endpoint}`]);
        expect(switched.state!['config']).to.equal(created.state!['config']);
        // No reload: the same workers serve.
        expect(await childrenOf(await nginx.masterPid())).to.deep.equal(workers);
        expect(await udpSerial(lb, 53)).to.equal(2);
        // The connection opened before the switch still goes to blue (its translation is kept) ...
        expect(await tcpAsk(client)).to.equal(1);
        const request = { address, generation: 0, current: switched.state, previous: created.state! };
        const before = await upstream.drained!(request, context());
        expect(before.drained).to.equal(false);
        expect(before.remaining).to.match(new RegExp(`^1 TCP connection( and \\d UDP sessions?)? from local_host ${lb.replace(/\./g, '\\.')} to ${blue.endpoint.replace(/\./g, '\\.')}$`));
        // ... until it ends; the UDP sessions to blue expire a second after their answer.
        client.end();
        let answer = await upstream.drained!(request, context());
        for (let i = 0; i < 50 && !answer.drained; i++) {
          await new Promise((r) => setTimeout(r, 100));
          answer = await upstream.drained!(request, context());
        }
        expect(answer).to.deep.equal({ drained: true, remaining: '', diagnostics: [] });

        // Read: what it wrote; a table deleted outside is a change to undo.
        expect((await upstream.read!({ address, generation: 0, prior: switched.state! }, context())).state).to.deep.equal(switched.state);
        await run('nft', ['delete', 'table', 'ip', table]);
        expect((await upstream.read!({ address, generation: 0, prior: switched.state! }, context())).state!['steering']).to.equal(`# table ip ${table} is not loaded on local_host ${lb}\n`);
        const restored = await upstream.update({ address, generation: 0, prior: { ...switched.state!, steering: `# table ip ${table} is not loaded on local_host ${lb}\n` }, config: config([green.endpoint]), configDir: '.' }, context());
        expect(restored.diagnostics).to.deep.equal([]);
        expect(await udpSerial(lb, 53)).to.equal(2);
      } finally {
        client.destroy();
      }
    } finally {
      const deleted = await upstream.delete({ address, generation: 0, prior: created.state! }, context());
      expect(deleted.diagnostics).to.deep.equal([]);
    }
    expect((await run('nft', ['list', 'tables'])).stdout).to.not.include(table);
    expect(await udpSerial(lb, 53, 300)).to.equal('lost');
  });

  it('refuses a steer point another upstream on the same load balancer uses, and a script nft rejects changes nothing', async () => {
    const lb = rig!.lb;
    const config = (name: string) => ({ lb: nginx.lb(lb), servers: [blue.endpoint], listen: name === 'first' ? 53 : 5353, name, switch: 'nftables', steer_port: 21053 });
    const first = await upstream.create({ address: 'nginx_upstream.first', generation: 0, config: config('first'), configDir: '.' }, context());
    expect(first.diagnostics).to.deep.equal([]);
    try {
      const second = await upstream.create({ address: 'nginx_upstream.second', generation: 0, config: config('second'), configDir: '.' }, context());
      expect(second.state).to.equal(null);
      expect(second.diagnostics.map((d) => `${d.summary}: ${d.detail}`)).to.deep.equal([
        `Steer port 21053 of second is taken on local_host ${lb}: table ${steerTable('first', lb)} already steers ${lb}:21053; give one of them another steer_port.`,
      ]);
      expect((await run('nft', ['list', 'tables'])).stdout).to.not.include(steerTable('second', lb));
      // A script nft rejects (here: a prior steering edited into nonsense) leaves the live rule alone.
      const site = new SteerSite(nginx.lb(lb), 'first');
      const rejected = await site.install('table ip broken { chain c { nonsense } }\n', { lbIpv4: lb, port: 21053, servers: [green.endpoint], name: 'first' }, context());
      expect(rejected.map((d) => d.summary)).to.deep.equal([`nft rejected the steering of first on local_host ${lb}`]);
      expect(rejected[0].detail).to.match(/syntax error[\s\S]*The live rules are unchanged\.$/);
      expect(steeredServers((await run('nft', ['list', 'table', 'ip', steerTable('first', lb)])).stdout)).to.deep.equal([blue.endpoint]);
      expect(await udpSerial(lb, 53)).to.equal(1);
    } finally {
      expect((await upstream.delete({ address: 'nginx_upstream.first', generation: 0, prior: first.state! }, context())).diagnostics).to.deep.equal([]);
    }
  });

  it('loses no UDP query in flight while it switches back and forth under load', async () => {
    const lb = rig!.lb;
    const address = 'nginx_upstream.load';
    const config = (servers: string[]) => ({ lb: nginx.lb(lb), servers, listen: 53, name: null, switch: 'nftables', steer_port: null });
    let state = (await upstream.create({ address, generation: 0, config: config([blue.endpoint]), configDir: '.' }, context())).state!;
    const results: (number | 'lost')[] = [];
    let running = true;
    // 8 senders, each a query at a time from a fresh port: ~1,000 queries/s here.
    const senders = Array.from({ length: 8 }, async () => {
      while (running) results.push(await udpSerial(lb, 53, 2000));
    });
    try {
      for (let i = 0; i < 10; i++) {
        await new Promise((r) => setTimeout(r, 150));
        const r = await upstream.update({ address, generation: 0, prior: state, config: config([i % 2 === 0 ? green.endpoint : blue.endpoint]), configDir: '.' }, context());
        expect(r.diagnostics).to.deep.equal([]);
        state = r.state!;
      }
      await new Promise((r) => setTimeout(r, 150));
    } finally {
      running = false;
      await Promise.all(senders);
      await upstream.delete({ address, generation: 0, prior: state }, context());
    }
    expect(results.length).to.be.greaterThan(500);
    console.log(`      (${results.length} queries)`);
    expect(results.filter((r) => r === 'lost')).to.deep.equal([]);
    expect(new Set(results)).to.deep.equal(new Set([1, 2]));
  });
});
