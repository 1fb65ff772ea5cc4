import { expect } from 'chai';
import { stepDetail } from '../../src/render/symbols.js';
import { appliedState, planOf, stepLines } from './fixture.js';

/**
 * The shape of examples/local: a blue-green load balancer with its playbook, the nameserver's
 * upstream living on it (test_balancer, placed on `lb`), a check of the load balancer's own
 * address, and a service address that moves to the load balancer, checked after the switch.
 */
const LB = `
variable "image" {
  type    = string
  default = "debian12"
}

resource "test_instance" "lb" {
  name  = "lb"
  image = var.image

  lifecycle blue_green
}

resource "test_provision" "lb" {
  host   = test_instance.lb
  script = "nginx"
}

resource "test_instance" "ns" {
  name  = "ns"
  image = "debian12"

  lifecycle blue_green
}

resource "test_check" "ns" {
  target = test_instance.ns.ipv4
}

resource "test_balancer" "ns" {
  lb      = test_provision.lb.host
  servers = ["\${test_instance.ns.ipv4}:53"]
}

resource "test_check" "lb" {
  target = test_balancer.ns.lb.ipv4
}

resource "test_address" "lb" {
  host = test_instance.lb
}

resource "test_check" "public" {
  target = test_address.lb.address
}
`;
const APPLIED = appliedState({ config: LB });

describe('planner: a load balancer replaced blue-green behind a service address', () => {
  it('the upstream placed on the load balancer is provisioned on green before its check; the switch moves the address; then blue goes', () => {
    const p = planOf({ config: LB, state: APPLIED, replace: ['test_instance.lb'] });
    expect(p.units.map((u) => [u.address, u.provisions, u.checks, u.routes, u.postChecks])).to.deep.equal([
      ['test_instance.lb', ['test_provision.lb', 'test_balancer.ns'], ['test_check.lb'], ['test_address.lb'], ['test_check.public']],
    ]);
    expect(stepLines(p)).to.deep.equal([
      'create test_instance.lb (green)',
      'create test_provision.lb (green) <- create test_instance.lb (green)',
      'create test_balancer.ns (green) <- create test_instance.lb (green), create test_provision.lb (green)',
      'verify test_check.lb (green) [test_instance.lb] <- create test_instance.lb (green), create test_provision.lb (green), create test_balancer.ns (green)',
      'switch test_address.lb (green) [test_instance.lb] <- create test_instance.lb (green), create test_provision.lb (green), create test_balancer.ns (green), verify test_check.lb (green) [test_instance.lb]',
      'verify test_check.public (green) [test_instance.lb] <- switch test_address.lb (green) [test_instance.lb]',
      'delete test_provision.lb (blue) <- switch test_address.lb (green) [test_instance.lb], verify test_check.public (green) [test_instance.lb]',
      'delete test_balancer.ns (blue) <- switch test_address.lb (green) [test_instance.lb], verify test_check.public (green) [test_instance.lb]',
      'delete test_instance.lb (blue) <- switch test_address.lb (green) [test_instance.lb], verify test_check.public (green) [test_instance.lb], delete test_provision.lb (blue), delete test_balancer.ns (blue)',
    ]);
    const upstreams = p.steps.filter((s) => s.address === 'test_balancer.ns').map((s) => [s.kind, s.generation]);
    expect(upstreams).to.deep.equal([['create', 2], ['delete', 1]]);
  });

  it('the switch line names the address that moves', () => {
    const p = planOf({ config: LB, state: APPLIED, replace: ['test_instance.lb'] });
    const sw = p.steps.find((s) => s.kind === 'switch')!;
    expect(stepDetail(sw)).to.equal('computed:address moves: computed:ipv4 (blue) -> (green)');
  });

  it('a nameserver deploy still switches the upstream on the live load balancer, and checks through it after', () => {
    const p = planOf({ config: LB, state: APPLIED, replace: ['test_instance.ns'] });
    expect(p.units.map((u) => [u.address, u.provisions, u.checks, u.routes, u.postChecks])).to.deep.equal([
      ['test_instance.ns', [], ['test_check.ns'], ['test_balancer.ns'], ['test_check.lb']],
    ]);
    const sw = p.steps.find((s) => s.kind === 'switch')!;
    expect([sw.address, sw.operation, sw.generation]).to.deep.equal(['test_balancer.ns', 'update', 0]);
    expect(p.changes.find((c) => c.address === 'test_balancer.ns')!.plannedGeneration).to.equal(1);
  });

  it('two load balancers deploy one at a time, each with its own upstream and address', () => {
    const two = `
resource "test_instance" "lb" {
  for_each = toset(["a", "b"])
  name     = "lb-\${each.key}"

  lifecycle blue_green
}

resource "test_provision" "lb" {
  for_each = test_instance.lb
  host     = each.value
}

resource "test_balancer" "ns" {
  for_each = test_provision.lb
  lb       = each.value.host
  servers  = ["192.0.2.1:53"]
}

resource "test_check" "lb" {
  for_each = test_balancer.ns
  target   = each.value.lb.ipv4
}

resource "test_address" "lb" {
  for_each = test_instance.lb
  host     = each.value
}
`;
    const p = planOf({ config: two, state: appliedState({ config: two }), replace: ['test_instance.lb'] });
    expect(stepLines(p).filter((l) => l.startsWith('create test_instance') || l.startsWith('switch'))).to.deep.equal([
      'create test_instance.lb["a"] (green)',
      'switch test_address.lb["a"] (green) [test_instance.lb["a"]] <- create test_instance.lb["a"] (green), create test_provision.lb["a"] (green), create test_balancer.ns["a"] (green), verify test_check.lb["a"] (green) [test_instance.lb["a"]]',
      'create test_instance.lb["b"] (green) <- delete test_instance.lb["a"] (blue)',
      'switch test_address.lb["b"] (green) [test_instance.lb["b"]] <- create test_instance.lb["b"] (green), create test_provision.lb["b"] (green), create test_balancer.ns["b"] (green), verify test_check.lb["b"] (green) [test_instance.lb["b"]]',
    ]);
  });

  it('a first deploy whose zone names the service address: the address is made first, and the upstream still waits for the nameserver check', () => {
    const zone = LB.replace('resource "test_check" "ns" {', `resource "test_provision" "ns" {
  host   = test_instance.ns
  script = "zone with ns1 at \${test_address.lb.address}"
}

resource "test_check" "ns" {`).replace('  target = test_instance.ns.ipv4\n', '  target = test_provision.ns.host.ipv4\n');
    const p = planOf({ config: zone, state: [] });
    const before = (id: string): Set<string> => {
      const byId = new Map(p.steps.map((x) => [x.id, x]));
      const seen = new Set<string>();
      const walk = (x: string): void => {
        for (const a of byId.get(x)?.after ?? []) if (!seen.has(a)) walk((seen.add(a), a));
      };
      walk(id);
      return seen;
    };
    expect([...before('create test_balancer.ns')].sort()).to.include.members(['verify test_check.ns', 'create test_address.lb', 'create test_provision.ns']);
    expect([...before('create test_address.lb')].sort()).to.deep.equal(['create test_instance.lb (green)']);
  });

  it('when both deploy and the service address is still to be made, the load balancer goes first: the zone of the nameserver names the address', () => {
    const zone = LB.replace('resource "test_check" "ns" {', `resource "test_provision" "ns" {
  host   = test_instance.ns
  script = "zone with ns1 at \${test_address.lb.address}"
}

resource "test_check" "ns" {`).replace('  target = test_instance.ns.ipv4\n', '  target = test_provision.ns.host.ipv4\n');
    const applied = appliedState({ config: zone }).filter((c) => c.address !== 'test_address.lb');
    const p = planOf({ config: zone, state: applied, replace: ['test_instance.lb', 'test_instance.ns'] });
    const order = p.steps.filter((x) => x.address === 'test_instance.lb' || x.address === 'test_instance.ns').map((x) => x.id);
    expect(order).to.deep.equal(['create test_instance.lb (green)', 'delete test_instance.lb (blue)', 'create test_instance.ns (green)', 'delete test_instance.ns (blue)']);
  });
});

/**
 * The shape of examples/dns.infra: the service address lives on the load balancer once its
 * playbook ran, and the nameserver's zone names the service address.
 */
const ZONE = LB.replace('resource "test_check" "ns" {', `resource "test_provision" "ns" {
  host   = test_instance.ns
  script = "zone with ns1 at \${test_address.lb.address}"
}

resource "test_check" "ns" {`)
  .replace('  target = test_instance.ns.ipv4\n', '  target = test_provision.ns.host.ipv4\n')
  .replace('resource "test_address" "lb" {\n  host = test_instance.lb\n', 'resource "test_address" "lb" {\n  host = test_provision.lb.host\n');

describe('planner: a half-finished first apply of blue-green load balancers behind a service address', () => {
  /** What a first apply leaves when the load balancer's playbook fails: both hosts made, the playbook tainted, nothing else. */
  const halfFinished = (): ReturnType<typeof appliedState> =>
    appliedState({ config: ZONE })
      .filter((c) => ['test_instance.lb', 'test_instance.ns', 'test_provision.lb'].includes(c.address))
      .map((c) => (c.address === 'test_provision.lb' ? { ...c, status: 'tainted' as const } : c));

  it('is continued in place as a first apply: no deploy unit, the copies made are kept and the rest is made on them', () => {
    const state = halfFinished();
    expect(state.map((c) => [c.address, c.status])).to.deep.equal([
      ['test_instance.lb', 'ready'],
      ['test_instance.ns', 'ready'],
      ['test_provision.lb', 'tainted'],
    ]);
    const p = planOf({ config: ZONE, state });
    expect(p.units).to.deep.equal([]);
    expect(stepLines(p)).to.deep.equal([
      'delete test_provision.lb',
      'create test_provision.lb <- delete test_provision.lb',
      'create test_address.lb <- create test_provision.lb',
      'create test_provision.ns <- create test_address.lb',
      'verify test_check.ns <- create test_provision.ns',
      'create test_balancer.ns <- create test_provision.lb, verify test_check.ns',
      'verify test_check.lb <- create test_balancer.ns',
      'verify test_check.public <- create test_address.lb',
    ]);
    // Made on the copies there are: a provision and a placed route carry their host's generation.
    const gen = (a: string): number => state.find((c) => c.address === a)!.generation;
    const made = p.steps.filter((s) => s.kind === 'create').map((s) => [s.address, s.generation]);
    expect(made).to.deep.equal([
      ['test_provision.lb', gen('test_instance.lb')],
      ['test_address.lb', 0],
      ['test_provision.ns', gen('test_instance.ns')],
      ['test_balancer.ns', gen('test_instance.lb')],
    ]);
    expect(p.changes.filter((c) => c.address.startsWith('test_instance.')).map((c) => [c.address, c.actions])).to.deep.equal([
      ['test_instance.lb', ['no-op']],
      ['test_instance.ns', ['no-op']],
    ]);
  });

  it('an unfinished first deploy whose instance itself must be replaced is replaced in place, its provisioning on the new copy', () => {
    const state = halfFinished();
    const p = planOf({ config: ZONE, state, vars: ['image=debian13'] });
    expect(p.units).to.deep.equal([]);
    expect(p.changes.find((c) => c.address === 'test_instance.lb')!.actions).to.deep.equal(['create', 'delete']);
    const next = state.find((c) => c.address === 'test_instance.lb')!.generation + 1;
    expect(p.steps.filter((s) => s.kind === 'create' && ['test_instance.lb', 'test_provision.lb', 'test_balancer.ns'].includes(s.address)).map((s) => [s.address, s.generation])).to.deep.equal([
      ['test_instance.lb', next],
      ['test_provision.lb', next],
      ['test_balancer.ns', next],
    ]);
  });

  it('once a route reaches the copy, a change deploys it blue-green again', () => {
    const applied = appliedState({ config: ZONE, state: halfFinished() });
    const p = planOf({ config: ZONE, state: applied, vars: ['image=debian13'] });
    expect(p.units.map((u) => [u.address, u.routes])).to.deep.equal([['test_instance.lb', ['test_address.lb']]]);
  });
});
