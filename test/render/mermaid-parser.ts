/**
 * Mermaid's own flowchart parser (the `mermaid` package, a devDependency), run in Node to check
 * that the charts we emit parse, and to read back what they say: nodes with their decoded
 * labels, edges and subgraphs.
 *
 * Mermaid's parser runs fine without a browser, but its database sanitises every label with
 * DOMPurify, which needs a DOM; without one DOMPurify has no `sanitize`/`addHook`. Labels here
 * are checked by the test itself, so DOMPurify is replaced by pass-through functions before
 * Mermaid is loaded. The grammar (a Jison parser) is untouched.
 */
import DOMPurify from 'dompurify';

export interface ParsedFlowchart {
  /** Node id -> label as a browser would show it (entities decoded, `<br/>` as a newline). */
  readonly nodes: ReadonlyMap<string, string>;
  /** Node id -> classes. */
  readonly classes: ReadonlyMap<string, readonly string[]>;
  readonly edges: readonly { readonly from: string; readonly to: string }[];
  readonly subgraphs: readonly { readonly id: string; readonly title: string; readonly nodes: readonly string[] }[];
}

interface FlowVertex {
  readonly id: string;
  readonly text?: string;
  readonly classes?: readonly string[];
}
interface FlowEdge {
  readonly start: string;
  readonly end: string;
}
interface FlowSubGraph {
  readonly id: string;
  readonly title: string;
  readonly nodes: readonly string[];
}
interface FlowDb {
  getVertices(): Map<string, FlowVertex>;
  getEdges(): FlowEdge[];
  getSubGraphs(): FlowSubGraph[];
}

type Mermaid = (typeof import('mermaid'))['default'];
let loaded: Promise<Mermaid> | null = null;

function loadMermaid(): Promise<Mermaid> {
  loaded ??= (async () => {
    const purify = DOMPurify as unknown as Record<string, unknown>;
    purify.sanitize = (s: unknown) => String(s);
    purify.addHook = () => undefined;
    purify.removeHook = () => undefined;
    purify.removeHooks = () => undefined;
    const { default: mermaid } = await import('mermaid');
    mermaid.initialize({ startOnLoad: false });
    return mermaid;
  })();
  return loaded;
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" };

/**
 * A label as a browser shows it. Mermaid keeps `#quot;`-style codes in private placeholders
 * (`ﬂ°quot¶ß`, numeric ones `ﬂ°°35¶ß`) until drawing, where they become HTML entities.
 */
export function decodeMermaidLabel(text: string): string {
  return text
    .replace(/ﬂ°°(\d+)¶ß/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/ﬂ°(\w+)¶ß/g, (m, name: string) => NAMED_ENTITIES[name] ?? m)
    .replace(/<br\s*\/?>/g, '\n');
}

/** Parses a flowchart; rejects with Mermaid's parse error when it is not valid. */
export async function parseFlowchart(text: string): Promise<ParsedFlowchart> {
  const mermaid = await loadMermaid();
  await mermaid.parse(text);
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  if (diagram.type !== 'flowchart-v2' && diagram.type !== 'flowchart') throw new Error(`not a flowchart: ${diagram.type}`);
  const db = diagram.db as unknown as FlowDb;
  const vertices = [...db.getVertices().values()];
  return {
    nodes: new Map(vertices.map((v) => [v.id, decodeMermaidLabel(v.text ?? v.id)])),
    classes: new Map(vertices.map((v) => [v.id, v.classes ?? []])),
    edges: db.getEdges().map((e) => ({ from: e.start, to: e.end })),
    subgraphs: db.getSubGraphs().map((s) => ({ id: s.id, title: decodeMermaidLabel(s.title), nodes: s.nodes })),
  };
}
