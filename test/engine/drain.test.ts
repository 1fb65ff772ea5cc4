/**
 * Draining blue (docs/engine.md, "Draining blue"): after a unit's switch and post-switch checks,
 * blue's provisions are retired and blue is destroyed only once every switched route says its
 * old path has drained - or once the drain bound has passed, with a warning naming the route.
 */
import { expect } from 'chai';
import { runCli } from '../support/cli.js';
import { lbAndNameserver } from '../support/configs.js';
import { useRecordingProject } from '../support/recording-project.js';

const CONFIG = lbAndNameserver('bare');

describe('engine: draining blue before destroying it', function () {
  this.timeout(20_000);
  const project = useRecordingProject({ 'main.infra': CONFIG });

  /** The first apply (nothing to drain), then a deploy of a new serial with `env`. */
  async function deploy(env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
    expect((await project.cli('apply', '--auto-approve')).code).to.equal(0);
    project.provider.resetCalls();
    const t0 = Date.now();
    const r = await runCli(['apply', '--auto-approve', '--var', 'serial=2'], { cwd: project.dir, env });
    return { ...r, ms: Date.now() - t0 };
  }

  /** The calls from the switch on, as `op address#generation`, polls of one route folded into one line with a count. */
  function callsFromSwitch(): string[] {
    const calls = project.provider.calls.map((c) => `${c.op} ${c.address}#${c.generation}`);
    const from = calls.indexOf('update test_balancer.ns#0');
    const out: string[] = [];
    for (const c of calls.slice(from)) {
      const last = out[out.length - 1];
      const m = last && /^(.*) x(\d+)$/.exec(last);
      if (c.startsWith('drained') && last && (last === c || m?.[1] === c)) out[out.length - 1] = `${c} x${m ? Number(m[2]) + 1 : 2}`;
      else out.push(c);
    }
    return out;
  }

  it('retires blue, waits until the route has drained, then destroys blue, and says how long it took', async () => {
    project.provider.drain = { busyPolls: 3 };
    const r = await deploy();
    expect(r.code).to.equal(0);
    expect(callsFromSwitch()).to.deep.equal([
      'update test_balancer.ns#0',
      'verify test_check.lb#0',
      'retire test_provision.ns#1',
      'drained test_balancer.ns#0 x4',
      'delete test_provision.ns#1',
      'delete test_server.ns#1',
    ]);
    expect(r.stdout).to.match(/test_provision\.ns \(blue\): │ Retired test_provision\.ns \(blue\) in \d+\.\d\ds\n/);
    expect(r.stdout).to.match(/test_provision\.ns \(blue\): │ test_balancer\.ns: old path drained in 0\.[3-9]\d+s \(bound 30s\)\n/);
    expect(r.stdout).not.to.include('Warning');
  });

  it('destroys blue after the drain bound when the route never drains, with a warning naming the route and what still sends', async () => {
    project.provider.drain = { busyPolls: Infinity, remaining: '3 TCP connections from lb to 10.0.1.3:53' };
    const r = await deploy({ INFRA_DRAIN_TIMEOUT: '700ms' });
    expect(r.code).to.equal(0);
    const calls = callsFromSwitch();
    expect(calls.slice(-2)).to.deep.equal(['delete test_provision.ns#1', 'delete test_server.ns#1']);
    const polls = Number(/x(\d+)$/.exec(calls[calls.length - 3])![1]);
    // One poll every 100 ms for 700 ms, on a machine that may be slow.
    expect(polls).to.be.within(4, 9);
    expect(r.ms).to.be.greaterThan(700);
    expect(r.stdout).to.include('test_balancer.ns: still carries traffic to blue when the drain bound of 700ms passed: 3 TCP connections from lb to 10.0.1.3:53\n');
    expect(r.stderr).to.equal(
      'Warning: test_balancer.ns still sent traffic to blue of test_server.ns when the drain bound of 700ms passed\n' +
        '3 TCP connections from lb to 10.0.1.3:53. Blue is destroyed now: what those clients have in flight is lost once, and they retry ' +
        "(a client that ignores the server's request to leave never leaves by itself). Set INFRA_DRAIN_TIMEOUT for a longer bound.\n",
    );
    expect(project.provider.objects.filter((o) => o.address === 'test_server.ns').map((o) => o.generation)).to.deep.equal([2]);
  });

  it('does not wait at all with INFRA_DRAIN_TIMEOUT=0s, and still asks once', async () => {
    project.provider.drain = { busyPolls: Infinity };
    const r = await deploy({ INFRA_DRAIN_TIMEOUT: '0s' });
    expect(r.code).to.equal(0);
    expect(callsFromSwitch().filter((c) => c.startsWith('drained'))).to.deep.equal(['drained test_balancer.ns#0']);
    expect(r.stderr).to.include('Warning: test_balancer.ns still sent traffic to blue of test_server.ns when the drain bound of 0ms passed\n');
  });

  it('refuses an INFRA_DRAIN_TIMEOUT that is not a duration before changing anything', async () => {
    project.provider.drain = { busyPolls: 0 };
    const r = await deploy({ INFRA_DRAIN_TIMEOUT: 'soon' });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('Invalid INFRA_DRAIN_TIMEOUT: "soon"');
    expect(project.provider.calls.filter((c) => c.op !== 'read')).to.deep.equal([]);
  });

  it('goes on with a warning when retiring fails or the route cannot be looked at, and destroys blue without waiting', async () => {
    project.provider.drain = { busyPolls: Infinity };
    project.provider.fail = (c) => (c.op === 'retire' ? 'the playbook failed' : c.op === 'drained' ? 'ssh: connection refused' : undefined);
    const r = await deploy();
    expect(r.code).to.equal(0);
    expect(callsFromSwitch().slice(2)).to.deep.equal(['retire test_provision.ns#1', 'drained test_balancer.ns#0', 'delete test_provision.ns#1', 'delete test_server.ns#1']);
    expect(r.stdout).to.include('test_provision.ns (blue): │ Retiring test_provision.ns (blue) failed; draining without it\n');
    expect(r.stdout).to.include('test_provision.ns (blue): │ Cannot tell whether test_balancer.ns has drained; not waiting for it\n');
    expect(r.stderr).to.equal('Warning: retire test_provision.ns failed\nthe playbook failed\nWarning: drained test_balancer.ns failed\nssh: connection refused\n');
  });

  it('does not drain a deploy that rolls back: blue keeps serving', async () => {
    project.provider.drain = { busyPolls: 0 };
    project.provider.fail = (c) => (c.op === 'verify' && c.address === 'test_check.lb' && c.config?.expect === '2' ? 'wrong serial' : undefined);
    const r = await deploy();
    expect(r.code).to.equal(1);
    expect(project.provider.calls.filter((c) => c.op === 'drained' || c.op === 'retire')).to.deep.equal([]);
  });
});
