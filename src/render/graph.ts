/**
 * Pictures of a configuration and of a plan (`infra graph`): the resource dependency graph and
 * the plan's step graph as Graphviz DOT or as a Mermaid flowchart, and DOT rendered to SVG by
 * Graphviz compiled to WebAssembly, in-process (no system binary).
 */
import type { Plan, Step, StepKind } from '../planner/plan.js';
import type { Role } from '../providers/contract.js';
import { stepEdges } from './step-graph.js';
import { stepDetail, stepKindWord } from './symbols.js';

/** The dependency graph of resource and data source instances, as the graph module hands it over. */
export interface ResourceGraph {
  /** `mode` data: a data source instance (`data.local_file.zone`), drawn apart from resources. */
  readonly nodes: readonly { readonly address: string; readonly type: string; readonly role?: Role; readonly mode?: 'data' }[];
  /** `from` depends on `to` (the arrow points at what a resource or data source needs). */
  readonly edges: readonly { readonly from: string; readonly to: string }[];
}

/** Fill and border of a step kind; one palette for DOT and Mermaid. */
const KIND_COLORS: Readonly<Record<StepKind, { readonly fill: string; readonly stroke: string }>> = {
  create: { fill: '#d3f9d8', stroke: '#2b8a3e' },
  update: { fill: '#fff3bf', stroke: '#e67700' },
  verify: { fill: '#d0ebff', stroke: '#1864ab' },
  switch: { fill: '#e5dbff', stroke: '#5f3dc4' },
  delete: { fill: '#ffe3e3', stroke: '#c92a2a' },
  bake: { fill: '#fff0f6', stroke: '#a61e4d' },
};

const KIND_ORDER: readonly StepKind[] = ['create', 'update', 'verify', 'switch', 'bake', 'delete'];

const ROLE_STYLE: Readonly<Record<Role, { readonly shape: string; readonly fill: string }>> = {
  instance: { shape: 'box', fill: '#e7f5ff' },
  provision: { shape: 'component', fill: '#f3f0ff' },
  check: { shape: 'diamond', fill: '#ebfbee' },
  route: { shape: 'hexagon', fill: '#fff4e6' },
};

/** A data source is read, never created: a cylinder, grey. */
const DATA_STYLE = { shape: 'cylinder', fill: '#f1f3f5' } as const;

/** What a step node says: its kind and detail on one line, its address on the next. */
function stepLabelLines(step: Step): [string, string] {
  const detail = stepDetail(step);
  return [detail ? `${stepKindWord(step.kind)} ${detail}` : stepKindWord(step.kind), step.address];
}

function unitTitle(unit: string): string {
  return `blue-green deploy of ${unit}`;
}

/** Steps grouped for drawing: top-level steps and deploy units (each in the order met). */
type Group = { readonly unit: null; readonly step: Step; readonly index: number } | { readonly unit: string; readonly steps: { step: Step; index: number }[] };

function groupSteps(steps: readonly Step[]): Group[] {
  const groups: Group[] = [];
  const byUnit = new Map<string, { unit: string; steps: { step: Step; index: number }[] }>();
  steps.forEach((step, index) => {
    if (step.unit === null) {
      groups.push({ unit: null, step, index });
      return;
    }
    let group = byUnit.get(step.unit);
    if (!group) {
      group = { unit: step.unit, steps: [] };
      byUnit.set(step.unit, group);
      groups.push(group);
    }
    group.steps.push({ step, index });
  });
  return groups;
}

// ---------------------------------------------------------------------------------------------
// DOT

/** A DOT double-quoted string; backslashes doubled so `\N`-style escapes cannot appear by accident. */
export function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

/** The resource dependency graph as DOT; nodes shaped and filled by role, data sources as cylinders. No trailing newline. */
export function resourceGraphToDot(g: ResourceGraph): string {
  const out = ['digraph resources {', '  rankdir=LR;', '  node [style=filled, fontname="Helvetica", fontsize=10];'];
  for (const n of g.nodes) {
    const style = n.mode === 'data' ? DATA_STYLE : ROLE_STYLE[n.role ?? 'instance'];
    out.push(`  ${dotString(n.address)} [shape=${style.shape}, fillcolor=${dotString(style.fill)}];`);
  }
  for (const e of g.edges) out.push(`  ${dotString(e.from)} -> ${dotString(e.to)};`);
  out.push('}');
  return out.join('\n');
}

/**
 * The plan's step graph as DOT: steps as nodes coloured by kind, numbered in plan order,
 * deploy units as clusters, edges from `after` after transitive reduction. No trailing newline.
 */
export function planToDot(plan: Plan): string {
  const out = [
    'digraph plan {',
    '  rankdir=TB;',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
    '  edge [color="#555555"];',
  ];
  const node = (step: Step, index: number, indent: string) => {
    const [head, address] = stepLabelLines(step);
    const c = KIND_COLORS[step.kind];
    out.push(`${indent}s${index + 1} [label=${dotString(`${index + 1} · ${head}\n${address}`)}, fillcolor=${dotString(c.fill)}, color=${dotString(c.stroke)}];`);
  };
  let cluster = 0;
  for (const group of groupSteps(plan.steps)) {
    if (group.unit === null) {
      node(group.step, group.index, '  ');
      continue;
    }
    cluster++;
    out.push(`  subgraph cluster_${cluster} {`, `    label=${dotString(unitTitle(group.unit))};`, '    style="dashed,rounded";', '    fontname="Helvetica";');
    for (const { step, index } of group.steps) node(step, index, '    ');
    out.push('  }');
  }
  const index = new Map(plan.steps.map((s, i) => [s.id, i + 1]));
  for (const e of stepEdges(plan.steps)) out.push(`  s${index.get(e.from)} -> s${index.get(e.to)};`);
  out.push('}');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Mermaid

/** GitHub renders Mermaid with the library's defaults: text over 50,000 characters ... */
export const MERMAID_MAX_TEXT = 50_000;
/** ... or more than 500 edges shows an error instead of the diagram. */
export const MERMAID_MAX_EDGES = 500;

/**
 * Text for inside a quoted Mermaid label. Characters the flowchart grammar or the HTML label
 * would take as syntax are written as Mermaid entity codes (`#quot;`, `#35;`), which Mermaid
 * turns back into the characters when drawing.
 */
export function mermaidText(s: string): string {
  return s
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/&/g, '#amp;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/`/g, '#96;')
    .replace(/\r?\n/g, ' ');
}

/** The class a step node gets; `destroy` for delete steps, as people read it. */
function mermaidClass(kind: StepKind): string {
  return stepKindWord(kind);
}

/** A Mermaid flowchart with the numbers that decide whether GitHub can draw it. */
export interface MermaidChart {
  /** The flowchart source, without the ```mermaid fence and without a trailing newline. */
  readonly text: string;
  readonly nodeCount: number;
  readonly edgeCount: number;
}

/**
 * The plan's step graph as a Mermaid flowchart: `flowchart TD`, steps as nodes `s1..sN` in plan
 * order coloured by kind (`classDef create|update|verify|switch|destroy`), deploy units as
 * subgraphs `u1..uK`, edges from `after` after transitive reduction.
 */
export function planMermaidChart(plan: Plan): MermaidChart {
  const out = ['flowchart TD'];
  const used = KIND_ORDER.filter((k) => plan.steps.some((s) => s.kind === k));
  for (const kind of used) {
    const c = KIND_COLORS[kind];
    out.push(`  classDef ${mermaidClass(kind)} fill:${c.fill},stroke:${c.stroke},color:#000`);
  }
  const node = (step: Step, index: number, indent: string) => {
    const [head, address] = stepLabelLines(step);
    out.push(`${indent}s${index + 1}["${mermaidText(`${index + 1} · ${head}`)}<br/>${mermaidText(address)}"]`);
  };
  let unitNumber = 0;
  for (const group of groupSteps(plan.steps)) {
    if (group.unit === null) {
      node(group.step, group.index, '  ');
      continue;
    }
    unitNumber++;
    out.push(`  subgraph u${unitNumber}["${mermaidText(unitTitle(group.unit))}"]`);
    for (const { step, index } of group.steps) node(step, index, '    ');
    out.push('  end');
  }
  const index = new Map(plan.steps.map((s, i) => [s.id, i + 1]));
  const edges = stepEdges(plan.steps);
  for (const e of edges) out.push(`  s${index.get(e.from)} --> s${index.get(e.to)}`);
  for (const kind of used) {
    const ids = plan.steps.flatMap((s, i) => (s.kind === kind ? [`s${i + 1}`] : []));
    out.push(`  class ${ids.join(',')} ${mermaidClass(kind)}`);
  }
  return { text: out.join('\n'), nodeCount: plan.steps.length, edgeCount: edges.length };
}

/** The plan's step graph as Mermaid flowchart source (see `planMermaidChart`); no trailing newline. */
export function planToMermaid(plan: Plan): string {
  return planMermaidChart(plan).text;
}

/**
 * The resource dependency graph as a Mermaid flowchart (`flowchart LR`): nodes `r1..rN` in the
 * order given, shaped by role (instance box, provision subroutine, check rhombus, route
 * hexagon; a data source a cylinder), an arrow from each node to what it depends on. No
 * trailing newline.
 */
export function resourceGraphToMermaid(g: ResourceGraph): string {
  const out = ['flowchart LR'];
  const id = new Map(g.nodes.map((n, i) => [n.address, `r${i + 1}`]));
  const shape: Readonly<Record<Role, readonly [string, string]>> = {
    instance: ['[', ']'],
    provision: ['[[', ']]'],
    check: ['{', '}'],
    route: ['{{', '}}'],
  };
  for (const n of g.nodes) {
    const [open, close] = n.mode === 'data' ? (['[(', ')]'] as const) : shape[n.role ?? 'instance'];
    out.push(`  ${id.get(n.address)}${open}"${mermaidText(n.address)}"${close}`);
  }
  for (const e of g.edges) {
    const from = id.get(e.from);
    const to = id.get(e.to);
    // An edge to a node the graph does not list is drawn to a node of its own, named by address.
    const ensure = (address: string, known: string | undefined): string => {
      if (known) return known;
      const fresh = `r${id.size + 1}`;
      id.set(address, fresh);
      out.push(`  ${fresh}["${mermaidText(address)}"]`);
      return fresh;
    };
    out.push(`  ${ensure(e.from, from)} --> ${ensure(e.to, to)}`);
  }
  return out.join('\n');
}

/** True when GitHub (Mermaid's default limits) can draw the chart. */
export function mermaidFitsGitHub(chart: MermaidChart): boolean {
  return chart.text.length <= MERMAID_MAX_TEXT && chart.edgeCount <= MERMAID_MAX_EDGES;
}

// ---------------------------------------------------------------------------------------------
// SVG

interface GraphvizLike {
  dot(source: string, format?: 'svg'): string;
}

let graphviz: Promise<GraphvizLike> | null = null;

/**
 * DOT rendered to SVG with the `dot` layout by Graphviz compiled to WebAssembly. The module
 * (about 1 MB of wasm) is loaded on first use only, so other commands do not pay for it.
 * Invalid DOT rejects with Graphviz's message; the DOT made here is always valid.
 */
export async function renderSvg(dot: string): Promise<string> {
  graphviz ??= import('@hpcc-js/wasm-graphviz').then((m) => m.Graphviz.load());
  const gv = await graphviz;
  return gv.dot(dot, 'svg');
}
