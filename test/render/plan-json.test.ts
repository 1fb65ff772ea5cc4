import { expect } from 'chai';
import { Sensitive, UNKNOWN } from '../../src/evaluate/value.js';
import { planToJson, renderPlanJson, valueToJsonSafe } from '../../src/render/plan-json.js';
import { blueGreenPlan, mixedPlan } from '../support/plans.js';
import type { Plan, ResourceChange } from '../../src/planner/plan.js';

describe('valueToJsonSafe', () => {
  it('passes known values through with no marks', () => {
    expect(valueToJsonSafe({ a: [1, 'x', null, true], b: {} })).to.deep.equal({ value: { a: [1, 'x', null, true], b: {} }, unknown: false, sensitive: false });
  });

  it('leaves unknown values out (null in lists), as Terraform does, and marks their paths', () => {
    expect(valueToJsonSafe({ ip: UNKNOWN, ports: [53, UNKNOWN], label: 'ns1' })).to.deep.equal({
      value: { ports: [53, null], label: 'ns1' },
      unknown: { ip: true, ports: [false, true] },
      sensitive: false,
    });
  });

  it('nulls sensitive values whatever they hold (leaves out one not known yet), and marks their paths', () => {
    expect(valueToJsonSafe({ pass: new Sensitive('secret'), env: { KEY: new Sensitive({ deep: 'secret' }), A: 'b' }, later: new Sensitive(UNKNOWN) })).to.deep.equal({
      value: { pass: null, env: { KEY: null, A: 'b' } },
      unknown: { later: true },
      sensitive: { pass: true, env: { KEY: true }, later: true },
    });
  });
});

describe('planToJson', () => {
  it('has the fields tools rely on (issue 3), in Terraform\'s layout (issue 13)', () => {
    const json = planToJson(blueGreenPlan());
    expect(json.format_version).to.equal('1.2');
    expect(json.infra_summary).to.deep.equal({ add: 4, change: 3, destroy: 4, blue_green: 2 });
    const ns1 = json.resource_changes.find((c) => c.address === 'linode_instance.ns["ns1"]');
    expect(ns1).to.include({ mode: 'managed', type: 'linode_instance', name: 'ns', index: 'ns1', infra_blue_green: true, action_reason: 'replace_because_cannot_update' });
    expect(ns1?.change.actions).to.deep.equal(['create', 'delete']);
    expect(ns1?.change.after_unknown).to.deep.equal({ id: true, ipv4: true });
    expect(ns1?.change.after).to.not.have.property('ipv4');
    const sw = json.infra_deploy_sequence.find((s) => s.kind === 'switch');
    expect(sw).to.deep.equal({
      id: 'switch nginx_upstream.lb["ns1"] (green) [linode_instance.ns["ns1"]]',
      kind: 'switch',
      address: 'nginx_upstream.lb["ns1"]',
      color: 'green',
      unit: 'linode_instance.ns["ns1"]',
      after_switch: false,
      after: ['create linode_instance.ns["ns1"] (green)', 'create ansible_playbook.ns["ns1"] (green)', 'verify dns_check.ns["ns1"] (green) [linode_instance.ns["ns1"]]'],
      switch_from: '192.0.2.5 (blue)',
      switch_to: '(green)',
      generation: 0,
    });
    expect(json.infra_deploy_sequence.filter((s) => s.after_switch).map((s) => s.address)).to.deep.equal(['dns_check.lb["ns1"]', 'dns_check.lb["ns2"]']);
  });

  it('lists steps so that every step comes after the steps it waits for', () => {
    const json = planToJson(blueGreenPlan());
    const seen = new Set<string>();
    for (const s of json.infra_deploy_sequence) {
      for (const a of s.after) expect(seen.has(a), `${s.id} after ${a}`).to.equal(true);
      seen.add(s.id);
    }
  });

  it('marks sensitive attributes, outputs and drift, and leaves the values out', () => {
    const json = planToJson(mixedPlan());
    const file = json.resource_changes.find((c) => c.address === 'local_file.nginx');
    expect(file?.change.after_sensitive).to.deep.equal({ environment: { API_KEY: true }, headers: [false, true] });
    expect(file?.change.before_sensitive).to.deep.equal(false);
    const token = json.resource_changes.find((c) => c.address === 'linode_token.ci');
    expect(token?.change.after_unknown).to.deep.equal({ token: true });
    expect(json.output_changes.api_token).to.deep.equal({
      actions: ['update'],
      before: null,
      after_unknown: true,
      before_sensitive: true,
      after_sensitive: true,
    });
    expect(json.output_changes.nameservers.actions).to.deep.equal(['create']);
    expect(json.output_changes.old_ip.actions).to.deep.equal(['delete']);
    expect(json.output_changes.zone.actions).to.deep.equal(['no-op']);
    expect(json.resource_drift?.[0]).to.deep.include({ address: 'linode_instance.gone', mode: 'managed', type: 'linode_instance', name: 'gone' });
    expect(json.resource_drift?.[0].change).to.deep.include({ actions: ['delete'], before_sensitive: { root_pass: true }, after: null, after_sensitive: false });
  });

  it('renders as one JSON document that reads back to the same data', () => {
    const text = renderPlanJson(mixedPlan());
    expect(JSON.parse(text)).to.deep.equal(planToJson(mixedPlan()));
    expect(text.endsWith('}')).to.equal(true);
  });
});

describe('action_reason (render/plan-json-reasons.ts)', () => {
  const reasonOf = (plan: Plan, address: string): string | undefined => planToJson(plan).resource_changes.find((c) => c.address === address)?.action_reason;
  const withChange = (plan: Plan, address: string, edit: Partial<ResourceChange>): Plan => ({
    ...plan,
    changes: plan.changes.map((c) => (c.address === address ? { ...c, ...edit } : c)),
  });

  it('a replacement of an incomplete or tainted object is replace_because_tainted, before the attributes that force it', () => {
    const plan = withChange(mixedPlan(), 'linode_instance.cache', { reasons: [{ code: 'recorded-status', status: 'tainted' }] });
    expect(reasonOf(plan, 'linode_instance.cache')).to.equal('replace_because_tainted');
    expect(reasonOf(mixedPlan(), 'linode_instance.cache')).to.equal('replace_because_cannot_update');
  });

  it('a delete tells the block gone, a count index, a for_each key, or a changed repetition apart by the configuration', () => {
    const base = withChange(mixedPlan(), 'linode_instance.old', { index: 0, address: 'linode_instance.old' });
    const config = (r: Partial<NonNullable<Plan['configuration']>['resources'][number]>): Plan => ({
      ...base,
      configuration: { resources: [{ address: 'linode_instance.old', type: 'linode_instance', name: 'old', expressions: {}, dependsOn: [], ...r }], outputs: [], variables: [] },
    });
    expect(reasonOf({ ...base, configuration: { resources: [], outputs: [], variables: [] } }, 'linode_instance.old')).to.equal('delete_because_no_resource_config');
    expect(reasonOf(config({ count: { references: [] } }), 'linode_instance.old')).to.equal('delete_because_count_index');
    expect(reasonOf(config({ forEach: { references: [] } }), 'linode_instance.old')).to.equal('delete_because_wrong_repetition');
    expect(reasonOf(config({}), 'linode_instance.old')).to.equal('delete_because_wrong_repetition');
  });
});
