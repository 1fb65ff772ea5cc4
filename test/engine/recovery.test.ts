/**
 * A first apply that fails half-way, then the same configuration applied again: it must
 * converge, and the plan after it must have no changes. The shape is examples/dns.infra's: a load
 * balancer whose provider made up a root password, its provisioning taking the whole machine
 * object (`host`), and a route taking the provisioning's `host` in turn (`lb`), so the password's
 * hash flows two resources downstream.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lbAndNameserver } from '../support/configs.js';
import { useRecordingProject } from '../support/recording-project.js';

const LB_AND_NS = lbAndNameserver('provisioned');

describe('engine: applying again after a failed first apply', () => {
  const project = useRecordingProject({ 'main.infra': LB_AND_NS });
  const cli = project.cli;

  /** The plan right after a successful apply: nothing to do, and no secret that seems to change. */
  async function expectConverged(): Promise<void> {
    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.stderr).to.equal('');
    expect(plan.stdout).to.not.include('-> (sensitive value)');
    expect(plan.stdout).to.include('No changes.');
    expect(plan.code).to.equal(0);
  }

  it('a route whose create failed is created by the next apply (a secret inside a whole object compares equal to itself)', async () => {
    project.provider.fail = (c) => (c.op === 'create' && c.address === 'test_balancer.ns' ? 'injected failure' : undefined);
    const first = await cli('apply', '--auto-approve');
    expect(first.code).to.equal(1);
    expect(first.stderr).to.include('create test_balancer.ns failed');
    project.provider.fail = () => undefined;

    const plan = await cli('plan');
    expect(plan.stderr).to.equal('');
    expect(plan.stdout).to.not.include('-> (sensitive value)');
    expect(plan.stdout).to.include('Plan: 2 to add, 0 to change, 0 to destroy.');

    const again = await cli('apply', '--auto-approve');
    expect(again.stderr).to.equal('');
    expect(again.code).to.equal(0);
    await expectConverged();
    expect(JSON.stringify(project.state())).to.not.include('root password of');
  });

  it('the same, carried out from a saved plan (plan --out, then apply PLANFILE)', async () => {
    project.provider.fail = (c) => (c.op === 'create' && c.address === 'test_balancer.ns' ? 'injected failure' : undefined);
    expect((await cli('apply', '--auto-approve')).code).to.equal(1);
    project.provider.fail = () => undefined;

    const saved = await cli('plan', '--out', 'tfplan');
    expect(saved.stderr).to.equal('');
    expect(saved.code).to.equal(0);
    expect(readFileSync(join(project.dir, 'tfplan'), 'utf8')).to.not.include('root password of');
    const again = await cli('apply', 'tfplan');
    expect(again.stderr).to.equal('');
    expect(again.code).to.equal(0);
    await expectConverged();
  });

  it('a change downstream of a secret shows only what changed, not the secret', async () => {
    expect((await cli('apply', '--auto-approve')).code).to.equal(0);
    writeFileSync(join(project.dir, 'main.infra'), LB_AND_NS.replace('script = "nginx"', 'script = "nginx 2"'));
    const plan = await cli('plan', '--var', 'serial=1');
    expect(plan.stderr).to.equal('');
    const body = plan.stdout.slice(plan.stdout.indexOf('  # '), plan.stdout.indexOf('Deploy sequence:'));
    expect(body).to.equal(
      [
        '  # test_provision.lb will be updated in-place',
        '  ~ resource "test_provision" "lb" {',
        '      ~ checksum = "sum:nginx" -> "sum:nginx 2"',
        '      ~ script   = "nginx" -> "nginx 2"',
        '        # (1 unchanged attribute hidden)',
        '    }',
        '',
        '',
      ].join('\n'),
    );
  });

  it('a blue-green instance whose route did not exist yet is live once traffic reaches it: the next plan destroys nothing', async () => {
    project.provider.fail = (c) => (c.op === 'create' && c.address === 'test_provision.ns' ? 'injected failure' : undefined);
    const first = await cli('apply', '--auto-approve');
    expect(first.code).to.equal(1);
    expect(project.state().resources.map((x) => x.address)).to.not.include('test_balancer.ns');
    project.provider.fail = () => undefined;

    // Nothing routes to the copy the first apply made: the first deploy is continued on it (its
    // provisioning and route made as in a first apply), not deployed blue-green.
    const again = await cli('apply', '--auto-approve');
    expect(again.stderr).to.equal('');
    expect(again.code).to.equal(0);
    expect(again.stdout).to.not.include('Switched');
    expect(again.stdout).to.match(/^test_balancer\.ns: Creation complete after /m);
    const ns = project.state().resources.filter((x) => x.address === 'test_server.ns' || x.address === 'test_provision.ns');
    expect(ns.map((x) => [x.address, x.generation, x.live, x.status])).to.deep.equal([
      ['test_provision.ns', 1, true, 'ready'],
      ['test_server.ns', 1, true, 'ready'],
    ]);
    expect(project.provider.objects.filter((o) => o.address === 'test_server.ns').map((o) => o.generation)).to.deep.equal([1]);

    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.stderr).to.equal('');
    expect(plan.stdout).to.not.include('destroy');
    expect(plan.stdout).to.include('No changes.');
    expect(plan.code).to.equal(0);
  });

  it('a deploy whose switch created a route and then failed its check removes that route again: nothing points at the destroyed copy', async () => {
    expect((await cli('apply', '--auto-approve')).code).to.equal(0);
    // A second route to the nameserver, made by the switch of its next deploy.
    writeFileSync(join(project.dir, 'main.infra'), `${LB_AND_NS}\nresource "test_balancer" "extra" {\n  lb      = test_provision.lb.host\n  servers = ["\${test_server.ns.ipv4}:5353"]\n}\n`);
    project.provider.fail = (c) => (c.op === 'verify' && c.address === 'test_check.lb' ? 'injected failure' : undefined);
    const failed = await cli('apply', '--auto-approve', '--var', 'serial=2');
    expect(failed.code).to.equal(1);
    expect(failed.stdout).to.match(/^test_balancer\.extra: \[rollback\] Destruction complete after /m);
    // The route did not exist before this deploy: rolled back, it does not exist again.
    expect(project.provider.objects.map((o) => o.address)).to.not.include('test_balancer.extra');
    expect(project.state().resources.map((x) => x.address)).to.not.include('test_balancer.extra');
    project.provider.fail = () => undefined;
    expect((await cli('apply', '--auto-approve', '--var', 'serial=2')).code).to.equal(0);
    const plan = await cli('plan', '--detailed-exitcode', '--var', 'serial=2');
    expect(plan.stdout).to.include('No changes.');
    expect(plan.code).to.equal(0);
  });

  it('an in-place update of a machine whose provider made up its password keeps the password\'s hash', async () => {
    expect((await cli('apply', '--auto-approve')).code).to.equal(0);
    const hashBefore = project.state().resources.find((x) => x.address === 'test_server.lb')!.sensitive_attributes.root_pass;
    writeFileSync(join(project.dir, 'main.infra'), LB_AND_NS.replace('name = "lb"', 'name = "lb-2"'));
    const r = await cli('apply', '--auto-approve');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(project.state().resources.find((x) => x.address === 'test_server.lb')!.sensitive_attributes.root_pass).to.equal(hashBefore);
    await expectConverged();
  });
});

