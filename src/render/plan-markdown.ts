/**
 * The plan as a pull-request comment (issue 6): what a reviewer must see at a glance comes
 * first and is never collapsed or cut - the summary line, everything that will be destroyed,
 * the deploy sequence (a Mermaid flowchart GitHub draws) - then one collapsible diff per
 * resource. The whole comment stays under a size limit (GitHub rejects comments over 65,536
 * characters): resource diffs are left out first, saying how many and how to see them; the
 * destroy list and the sequence only get more compact, and are cut only when even their compact
 * forms cannot fit, which the comment then says.
 */
import { reasonTexts } from './reasons.js';
import { type DataSourceRead, type Plan, type ResourceChange, planMovesState } from '../planner/plan.js';
import { diffAttributes, diffOutputs } from './attribute-diff.js';
import { diffBodyLines, type DiffLine } from './diff-lines.js';
import { mermaidFitsGitHub, planMermaidChart, MERMAID_MAX_EDGES, MERMAID_MAX_TEXT } from './graph.js';
import { makePaint } from './paint.js';
import { hasResourceChanges, NO_CHANGES_TEXT } from './plan-text.js';
import { sequenceLines, stepRuns } from './step-graph.js';
import { blockOf } from '../addrs/address.js';
import { changeHeadline, changeSymbol, destroysObject, driftHeadline, driftSymbol, plural, summarySentence } from './symbols.js';

/** GitHub's limit on an issue or pull-request comment body, in characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** Default budget: GitHub's limit less room for a marker line and a heading a workflow may add. */
export const DEFAULT_MARKDOWN_MAX_CHARS = GITHUB_COMMENT_LIMIT - 1_536;

/** Options of `renderPlanMarkdown`. */
export interface PlanMarkdownOptions {
  /** Upper bound on the length of the result (`string.length`). Default `DEFAULT_MARKDOWN_MAX_CHARS`. */
  readonly maxChars?: number;
  /** How a reader sees the whole plan, named where parts were left out. Default `infra show PLANFILE`. */
  readonly showCommand?: string;
}

/** Room kept for the closing note about what was left out. */
const NOTE_RESERVE = 400;

const plain = makePaint(false);

/** A code fence longer than any run of backticks in `body`. */
function fence(info: string, body: string): string {
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((m) => m.length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return `${ticks}${info}\n${body}\n${ticks}`;
}

/** Text for inside HTML elements (`<summary>`), where Markdown is not processed. */
function html(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inline code: a span with more backticks than the text holds. */
function code(s: string): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length));
  const ticks = '`'.repeat(longest + 1);
  return longest > 0 ? `${ticks} ${s} ${ticks}` : `${ticks}${s}${ticks}`;
}

/** Plain text in Markdown: characters that would start emphasis, links or HTML are escaped. */
function mdText(s: string): string {
  // An underscore inside a word (`linode_instance`) never starts emphasis in GitHub's Markdown.
  return s.replace(/[\\`*[\]<>~|#]/g, (c) => `\\${c}`).replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_');
}

function unifiedLines(lines: readonly DiffLine[]): string[] {
  return lines.map((l) => `${l.marker === '~' ? ' ' : l.marker} ${'  '.repeat(l.depth)}${l.text}${l.note ? ` ${l.note}` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// The parts that are never left out

function destroyNote(change: ResourceChange, unitOf: ReadonlyMap<string, string>): string {
  const unit = change.blueGreen ? change.address : unitOf.get(change.address);
  if (unit !== undefined) return `blue copy, after the blue-green deploy${unit === change.address ? '' : ` of ${unit}`}`;
  if (change.actions.length === 2) return change.actions[0] === 'delete' ? 'replaced, destroyed first' : 'replaced, new copy created first';
  return reasonTexts(change.reasons).join('; ');
}

/** Every destroyed object on its own bold line. */
function destroyListFull(destroyed: readonly ResourceChange[], plan: Plan): string {
  const unitOf = new Map(plan.units.flatMap((u) => u.provisions.map((p) => [p, u.address] as const)));
  const items = destroyed.map((c) => {
    const note = destroyNote(c, unitOf);
    return `- **${code(c.address)}**${note ? ` (${mdText(note)})` : ''}`;
  });
  return `**Will be destroyed (${destroyed.length}):**\n\n${items.join('\n')}`;
}

/** One bold line per resource block, listing the destroyed instances' indexes. */
function destroyListGrouped(destroyed: readonly ResourceChange[]): string {
  const blocks = new Map<string, string[]>();
  for (const c of destroyed) {
    const block = blockOf(c.address);
    const rest = c.address.slice(block.length);
    blocks.set(block, [...(blocks.get(block) ?? []), rest]);
  }
  const items = [...blocks].map(([block, rests]) => {
    const indexes = rests.filter((r) => r !== '');
    if (indexes.length === 0) return `- **${code(block)}**`;
    return `- **${code(block)} ${mdText(indexes.join(' '))}**${rests.length > indexes.length ? ' (and the unindexed instance)' : ''}`;
  });
  return `**Will be destroyed (${destroyed.length}):**\n\n${items.join('\n')}`;
}

/** As many destroy lines as fit in `budget`, then how many more there are. */
function destroyListCut(destroyed: readonly ResourceChange[], budget: number, show: string): string {
  const head = `**Will be destroyed (${destroyed.length}):**\n\n`;
  const tail = (n: number) => `\n- **... and ${n} more**: run ${code(show)} to see them.`;
  const items: string[] = [];
  let used = head.length + tail(destroyed.length).length;
  for (const c of destroyed) {
    const line = `- **${code(c.address)}**`;
    if (used + line.length + 1 > budget) break;
    items.push(line);
    used += line.length + 1;
  }
  const left = destroyed.length - items.length;
  return `${head}${items.join('\n')}${left > 0 ? tail(left) : ''}`;
}

interface SequenceForm {
  readonly text: string;
  readonly form: 'mermaid' | 'list' | 'compact';
}

function sequenceForms(plan: Plan): SequenceForm[] {
  const heading = `**Deploy sequence** (${plural(plan.steps.length, 'step')}):`;
  const forms: SequenceForm[] = [];
  const chart = planMermaidChart(plan);
  const tooBig = !mermaidFitsGitHub(chart);
  if (!tooBig) forms.push({ form: 'mermaid', text: `${heading}\n\n${fence('mermaid', chart.text)}` });
  const why = tooBig
    ? `_The step graph (${plural(chart.nodeCount, 'step')}, ${plural(chart.edgeCount, 'edge')}) is more than GitHub draws (${MERMAID_MAX_TEXT.toLocaleString('en-US')} characters, ${MERMAID_MAX_EDGES} edges), so it is listed in order._`
    : '_Listed in order: the step graph does not fit in this comment._';
  forms.push({ form: 'list', text: `${heading}\n\n${fence('text', sequenceLines(plan.steps, plain, { indent: '' }).join('\n'))}\n\n${why}` });
  forms.push({
    form: 'compact',
    text: `${heading}\n\n${fence('text', sequenceLines(plan.steps, plain, { indent: '', compress: true }).join('\n'))}\n\n_Runs of similar steps are shown one line per run to fit this comment._`,
  });
  return forms;
}

/** The compact sequence, cut to `budget`, saying how many steps were left out. */
function sequenceCut(plan: Plan, budget: number, show: string): string {
  const heading = `**Deploy sequence** (${plural(plan.steps.length, 'step')}):`;
  const lines = sequenceLines(plan.steps, plain, { indent: '', compress: true });
  const note = (shownSteps: number) =>
    `_Only the first ${plural(shownSteps, 'step')} of ${plan.steps.length} fit in this comment; run ${code(show)} to see them all._`;
  const kept: string[] = [];
  let used = heading.length + note(plan.steps.length).length + 20;
  for (const line of lines) {
    if (used + line.length + 1 > budget) break;
    kept.push(line);
    used += line.length + 1;
  }
  // Lines and runs correspond one to one.
  const lastNumber = kept.length === 0 ? 0 : stepRuns(plan.steps)[kept.length - 1].last;
  return `${heading}\n\n${fence('text', kept.join('\n'))}\n\n${note(lastNumber)}`;
}

// ---------------------------------------------------------------------------------------------
// The parts that may be left out

function changeDetails(change: ResourceChange): string {
  const symbol = changeSymbol(change);
  const lines = [
    ...reasonTexts(change.reasons).map((r) => `  # (${r})`),
    ...unifiedLines(diffBodyLines(diffAttributes(change.before, change.after, change.replacePaths), 'unified', { identifying: true })),
  ];
  const body = lines.length > 0 ? lines.join('\n') : '  # (no attributes)';
  return `<details><summary><code>${html(symbol)}</code> <b>${html(change.address)}</b> ${html(changeHeadline(change))}</summary>\n\n${fence('diff', body)}\n\n</details>`;
}

/** A data source read during apply, as its own collapsed block (`<=`, Terraform's glyph). */
function readDetails(d: DataSourceRead): string {
  const lines = [
    `  # (${d.deferred === 'config-unknown' ? 'config refers to values not yet known' : 'depends on a resource or a module with changes pending'})`,
    ...unifiedLines(diffBodyLines(diffAttributes(null, d.values, []), 'unified', { identifying: true })),
  ];
  return `<details><summary><code>&lt;=</code> <b>${html(d.address)}</b> will be read during apply</summary>\n\n${fence('diff', lines.join('\n'))}\n\n</details>`;
}

function driftDetails(plan: Plan): string | null {
  if (plan.drift.length === 0) return null;
  const lines: string[] = [];
  for (const d of plan.drift) {
    if (lines.length > 0) lines.push('');
    lines.push(`${driftSymbol(d) === '-' ? '-' : ' '} # ${d.address} ${driftHeadline(d)}`);
    lines.push(...unifiedLines(diffBodyLines(diffAttributes(d.before, d.kind === 'deleted' ? null : d.after), 'unified', { identifying: true })));
  }
  return `<details><summary>Objects changed outside of infra (${plan.drift.length})</summary>\n\n${fence('diff', lines.join('\n'))}\n\n</details>`;
}

function outputDetails(plan: Plan): string | null {
  const diff = diffOutputs(plan.outputs);
  if (diff.entries.length === 0) return null;
  const lines = unifiedLines(diffBodyLines(diff, 'unified'));
  return `<details><summary>Changes to outputs (${diff.entries.length})</summary>\n\n${fence('diff', lines.join('\n'))}\n\n</details>`;
}

function warningDetails(plan: Plan): string | null {
  if (plan.warnings.length === 0) return null;
  const items = plan.warnings.map((w) => `- ${mdText(w.summary)}${w.detail ? `: ${mdText(w.detail.replace(/\s*\n\s*/g, ' '))}` : ''}`);
  return `<details><summary>Warnings (${plan.warnings.length})</summary>\n\n${items.join('\n')}\n\n</details>`;
}

// ---------------------------------------------------------------------------------------------

/** A list item per `moved` / `removed` / `import` block the plan carries out, in Terraform's words; '' when none. */
function stateOnlyList(plan: Plan): string {
  return [
    ...(plan.moves ?? []).map((m) => `- ${code(m.from)} has moved to ${code(m.to)}`),
    ...(plan.forgets ?? []).map((a) => `- ${code(a)} will no longer be managed by infra, but will not be destroyed`),
    ...(plan.imports ?? []).map((i) => `- ${code(i.address)} will be imported (from ${code(i.id)})`),
  ].join('\n');
}

/**
 * The plan as GitHub-flavoured Markdown, at most `maxChars` long, ending with a newline.
 * Layout: summary line; the destroy list (bold); the deploy sequence (Mermaid flowchart, or a
 * numbered list when GitHub could not draw the graph or it does not fit); warnings, drift and
 * one `<details>` diff per changed resource; output changes. See docs/plan-format.md.
 */
export function renderPlanMarkdown(plan: Plan, opts: PlanMarkdownOptions = {}): string {
  const maxChars = opts.maxChars ?? DEFAULT_MARKDOWN_MAX_CHARS;
  const show = opts.showCommand ?? 'infra show PLANFILE';
  const join = (parts: readonly string[]) => `${parts.filter((p) => p !== '').join('\n\n')}\n`;

  // moved/removed/import blocks change the state even when no resource changes.
  const changed = hasResourceChanges(plan) || planMovesState(plan);
  const outputsChange = diffOutputs(plan.outputs).entries.length > 0;
  const head: string[] = [
    changed
      ? `**${summarySentence(plan.summary)}**`
      : outputsChange
        ? '**No changes to infrastructure.** Only output values change.'
        : `**No changes.** ${NO_CHANGES_TEXT.replace(/^No changes\.\s*/, '')}`,
  ];
  head.push(stateOnlyList(plan));
  if (plan.mode === 'destroy') head.push('_This plan destroys resources (`infra destroy`)._');
  if (plan.targets.length > 0) head.push(`_Planned with ${plan.targets.map((t) => code(`--target ${t}`)).join(', ')}: only the targets and ${plan.mode === 'destroy' ? 'what depends on them' : 'what they depend on'}._`);

  const destroyed = plan.changes.filter(destroysObject);
  const destroyForms = destroyed.length === 0 ? [changed ? 'Nothing will be destroyed.' : ''] : [destroyListFull(destroyed, plan), destroyListGrouped(destroyed)];
  const seqForms = plan.steps.length === 0 ? [''] : sequenceForms(plan).map((f) => f.text);

  // The most detailed destroy list and sequence that fit together, destroy list first: it is
  // the part reviewers most need whole.
  let mandatory: string[] | null = null;
  for (const d of destroyForms) {
    for (const s of seqForms) {
      const parts = [...head, d, s];
      if (join(parts).length + NOTE_RESERVE <= maxChars) {
        mandatory = parts;
        break;
      }
    }
    if (mandatory) break;
  }
  if (!mandatory) {
    // Not even the compact forms fit: share what is left between them.
    const room = maxChars - join(head).length - NOTE_RESERVE;
    const grouped = destroyForms[destroyForms.length - 1];
    const destroyPart = destroyed.length === 0 ? grouped : grouped.length + 2 <= room / 2 ? grouped : destroyListCut(destroyed, Math.floor(room / 2), show);
    const seqPart = plan.steps.length === 0 ? '' : sequenceCut(plan, room - destroyPart.length - 4, show);
    mandatory = [...head, destroyPart, seqPart];
  }

  const resourceDetails = [
    ...(plan.data ?? []).filter((d) => d.deferred).map((d) => ({ address: d.address, text: readDetails(d) })),
    ...plan.changes.filter((c) => c.actions[0] !== 'no-op').map((c) => ({ address: c.address, text: changeDetails(c) })),
  ]
    // Reads and changes by address, as the text view lists them (changes keep their order among themselves).
    .sort((a, b) => (plan.data?.some((d) => d.deferred) ? (a.address < b.address ? -1 : a.address > b.address ? 1 : 0) : 0))
    .map((d) => ({ resource: true, text: d.text }));
  const optional = [
    { resource: false, what: 'warnings', text: warningDetails(plan) },
    { resource: false, what: 'drift', text: driftDetails(plan) },
    ...resourceDetails.map((d) => ({ ...d, what: '' })),
    { resource: false, what: 'output changes', text: outputDetails(plan) },
  ].filter((d): d is { resource: boolean; what: string; text: string } => d.text !== null);

  // Every block that fits is kept, in order; a large diff left out does not take the smaller
  // ones after it along.
  const kept: string[] = [];
  let length = join(mandatory).length;
  let resourcesLeftOut = 0;
  const othersLeftOut: string[] = [];
  for (const block of optional) {
    if (length + block.text.length + 2 + NOTE_RESERVE <= maxChars) {
      kept.push(block.text);
      length += block.text.length + 2;
    } else if (block.resource) {
      resourcesLeftOut++;
    } else {
      othersLeftOut.push(block.what);
    }
  }
  const leftOut = [
    ...(resourcesLeftOut > 0 ? [`${resourcesLeftOut.toLocaleString('en-US')} of ${resourceDetails.length.toLocaleString('en-US')} resource diffs`] : []),
    ...othersLeftOut.map((w) => `the ${w}`),
  ];
  const note =
    leftOut.length > 0
      ? `_${leftOut.join(', ')} ${leftOut.length === 1 && resourcesLeftOut === 1 ? 'was' : 'were'} left out to keep this comment under ${maxChars.toLocaleString('en-US')} characters; run ${code(show)} to see the whole plan._`
      : '';
  return join([...mandatory, ...kept, note]);
}
