import { expect } from 'chai';
import type { Plan } from '../../src/planner/plan.js';
import { planMermaidChart, planToDot, planToMermaid, renderSvg, resourceGraphToDot, resourceGraphToMermaid, type ResourceGraph } from '../../src/render/graph.js';
import { stepEdges } from '../../src/render/step-graph.js';
import { stepDetail, stepKindWord } from '../../src/render/symbols.js';
import { blueGreenPlan, change, destroyOnlyPlan, generatedPlan, mixedPlan, planOf, step } from '../support/plans.js';
import { parseFlowchart } from './mermaid-parser.js';

/** Addresses with every character that means something to Mermaid, DOT, HTML or Markdown. */
const NASTY_KEYS = ['a"b', '<script>&amp;', '#quot;', 'end', 'a`b', 'x;y|z', '%% not a comment', '{}()[]', 'back\\slash', 'subgraph', 'click s1 call', 'a\nb'];

function nastyPlan(): Plan {
  const addresses = NASTY_KEYS.map((k) => `weird_thing.x["${k}"]`);
  const unit = addresses[0];
  const steps = addresses.map((address, i) =>
    step({
      kind: i === 1 ? 'switch' : i === 2 ? 'verify' : i % 2 === 0 ? 'create' : 'delete',
      address,
      unit: i < 4 ? unit : null,
      color: i < 4 ? 'green' : null,
      switchFrom: i === 1 ? '192.0.2.1 (blue) <old> & "quoted"' : undefined,
      switchTo: i === 1 ? '(green) -> #new' : undefined,
      after: i === 0 ? [] : [`${i % 2 === 0 ? 'create' : 'delete'} ${addresses[i - 1]}`, 'no such step'],
    }),
  );
  // Ids differ from what the loop guessed for the `after` lists; link each step to the one before.
  const linked = steps.map((s, i) => (i === 0 ? s : { ...s, after: [steps[i - 1].id] }));
  return planOf({
    changes: addresses.map((address) => change({ address, actions: ['create'], after: { label: address } })),
    units: [{ address: unit, provisions: [], checks: [addresses[2]], routes: [addresses[1]], postChecks: [], priorGeneration: 1, plannedGeneration: 2 }],
    steps: linked,
  });
}

const PLANS: Readonly<Record<string, () => Plan>> = {
  blueGreenPlan,
  destroyOnlyPlan,
  mixedPlan,
  nastyPlan,
  generatedPlan: () => generatedPlan(60),
};

/** The label a step node should show, as a browser would draw it. */
function expectedLabel(plan: Plan, index: number): string {
  const s = plan.steps[index];
  const detail = stepDetail(s);
  const head = detail ? `${stepKindWord(s.kind)} ${detail}` : stepKindWord(s.kind);
  return `${index + 1} · ${head.replace(/\n/g, ' ')}\n${s.address.replace(/\n/g, ' ')}`;
}

describe('stepEdges', () => {
  const a = step({ kind: 'create', address: 't.a' });
  const b = step({ kind: 'create', address: 't.b', after: [a.id] });
  const c = step({ kind: 'create', address: 't.c', after: [a.id, b.id] });
  const d = step({ kind: 'create', address: 't.d', after: [c.id, a.id, 'unknown step', c.id] });

  it('leaves out edges implied by longer paths', () => {
    expect(stepEdges([a, b, c, d])).to.deep.equal([
      { from: a.id, to: b.id },
      { from: b.id, to: c.id },
      { from: c.id, to: d.id },
    ]);
  });

  it('keeps every edge (once, known ids only) without reduction', () => {
    expect(stepEdges([a, b, c, d], { reduce: false })).to.deep.equal([
      { from: a.id, to: b.id },
      { from: a.id, to: c.id },
      { from: b.id, to: c.id },
      { from: c.id, to: d.id },
      { from: a.id, to: d.id },
    ]);
  });

  it('keeps parallel branches', () => {
    const x = step({ kind: 'create', address: 't.x', after: [a.id] });
    const join = step({ kind: 'create', address: 't.join', after: [b.id, x.id, a.id] });
    expect(stepEdges([a, b, x, join]).map((e) => `${e.from}>${e.to}`)).to.deep.equal([
      `${a.id}>${b.id}`,
      `${a.id}>${x.id}`,
      `${b.id}>${join.id}`,
      `${x.id}>${join.id}`,
    ]);
  });
});

describe('planToMermaid (checked by Mermaid 11 flowchart parser)', () => {
  for (const [name, build] of Object.entries(PLANS)) {
    it(`${name}: parses; one node per step with its label and class, one subgraph per unit, the reduced edges`, async () => {
      const plan = build();
      const chart = await parseFlowchart(planToMermaid(plan));
      expect(chart.nodes.size).to.equal(plan.steps.length);
      plan.steps.forEach((s, i) => {
        expect(chart.nodes.get(`s${i + 1}`)).to.equal(expectedLabel(plan, i));
        expect(chart.classes.get(`s${i + 1}`)).to.deep.equal([stepKindWord(s.kind)]);
      });
      const ids = new Map(plan.steps.map((s, i) => [s.id, `s${i + 1}`]));
      expect(chart.edges).to.deep.equal(stepEdges(plan.steps).map((e) => ({ from: ids.get(e.from), to: ids.get(e.to) })));
      const units = [...new Set(plan.steps.flatMap((s) => (s.unit ? [s.unit] : [])))];
      expect(chart.subgraphs.map((g) => g.title).sort()).to.deep.equal(units.map((u) => `blue-green deploy of ${u.replace(/\n/g, ' ')}`).sort());
      for (const g of chart.subgraphs) {
        const unit = units.find((u) => `blue-green deploy of ${u.replace(/\n/g, ' ')}` === g.title);
        const members = plan.steps.flatMap((s, i) => (s.unit === unit ? [`s${i + 1}`] : []));
        expect([...g.nodes].sort()).to.deep.equal(members.sort());
      }
    });
  }

  it('rejects what Mermaid rejects (the checker is real)', async () => {
    let failed = false;
    await parseFlowchart('flowchart TD\n  s1["a"b"] --> s2').catch(() => (failed = true));
    expect(failed).to.equal(true);
  });

  it('reports the numbers GitHub limits', () => {
    const chart = planMermaidChart(blueGreenPlan());
    expect(chart.nodeCount).to.equal(15);
    expect(chart.edgeCount).to.equal(14);
  });
});

const RESOURCES: ResourceGraph = {
  nodes: [
    { address: 'linode_instance.ns["ns1"]', type: 'linode_instance', role: 'instance' },
    { address: 'ansible_playbook.ns["ns1"]', type: 'ansible_playbook', role: 'provision' },
    { address: 'dns_check.ns["ns1"]', type: 'dns_check', role: 'check' },
    { address: 'nginx_upstream.lb["ns1"]', type: 'nginx_upstream', role: 'route' },
    { address: 'local_file.x["a\\"b"]', type: 'local_file' },
  ],
  edges: [
    { from: 'ansible_playbook.ns["ns1"]', to: 'linode_instance.ns["ns1"]' },
    { from: 'dns_check.ns["ns1"]', to: 'linode_instance.ns["ns1"]' },
    { from: 'nginx_upstream.lb["ns1"]', to: 'linode_instance.ns["ns1"]' },
    { from: 'local_file.x["a\\"b"]', to: 'not_listed.y' },
  ],
};

describe('resourceGraphToMermaid', () => {
  it('parses, with one node per resource and one edge per dependency', async () => {
    const chart = await parseFlowchart(resourceGraphToMermaid(RESOURCES));
    expect([...chart.nodes.values()]).to.deep.equal([...RESOURCES.nodes.map((n) => n.address), 'not_listed.y']);
    expect(chart.edges).to.deep.equal([
      { from: 'r2', to: 'r1' },
      { from: 'r3', to: 'r1' },
      { from: 'r4', to: 'r1' },
      { from: 'r5', to: 'r6' },
    ]);
  });
});

describe('DOT rendered by Graphviz (WebAssembly)', () => {
  for (const [name, build] of Object.entries(PLANS)) {
    it(`${name}: planToDot renders to SVG with a node per step`, async () => {
      const plan = build();
      const svg = await renderSvg(planToDot(plan));
      expect(svg.startsWith('<svg') || svg.startsWith('<?xml')).to.equal(true);
      expect(svg.match(/class="node"/g) ?? []).to.have.length(plan.steps.length);
      expect(svg.match(/class="edge"/g) ?? []).to.have.length(stepEdges(plan.steps).length);
    });
  }

  it('resourceGraphToDot renders to SVG with a node per resource', async () => {
    const svg = await renderSvg(resourceGraphToDot(RESOURCES));
    expect(svg).to.match(/^<(\?xml|svg)/);
    expect(svg.match(/class="node"/g) ?? []).to.have.length(RESOURCES.nodes.length + 1);
    expect(svg).to.include('local_file.x[&quot;a\\&quot;b&quot;]');
  });

  it('rejects invalid DOT with Graphviz message', async () => {
    let message = '';
    await renderSvg('digraph { a -> }').catch((e: Error) => (message = e.message));
    expect(message).to.match(/syntax error/);
  });
});

describe('data sources in the resource graph', () => {
  const WITH_DATA: ResourceGraph = {
    nodes: [
      { address: 'data.local_file.zone', type: 'local_file', mode: 'data' },
      { address: 'test_instance.ns', type: 'test_instance', role: 'instance' },
    ],
    edges: [{ from: 'test_instance.ns', to: 'data.local_file.zone' }],
  };

  it('DOT draws a data source as a grey cylinder, with the edge from what reads it', () => {
    expect(resourceGraphToDot(WITH_DATA).split('\n')).to.deep.equal([
      'digraph resources {',
      '  rankdir=LR;',
      '  node [style=filled, fontname="Helvetica", fontsize=10];',
      '  "data.local_file.zone" [shape=cylinder, fillcolor="#f1f3f5"];',
      '  "test_instance.ns" [shape=box, fillcolor="#e7f5ff"];',
      '  "test_instance.ns" -> "data.local_file.zone";',
      '}',
    ]);
  });

  it('Mermaid draws it as a cylinder node that parses', async () => {
    const text = resourceGraphToMermaid(WITH_DATA);
    expect(text.split('\n')).to.deep.equal(['flowchart LR', '  r1[("data.local_file.zone")]', '  r2["test_instance.ns"]', '  r2 --> r1']);
    const chart = await parseFlowchart(text);
    expect([...chart.nodes.values()]).to.deep.equal(['data.local_file.zone', 'test_instance.ns']);
    expect(chart.edges).to.deep.equal([{ from: 'r2', to: 'r1' }]);
  });
});
