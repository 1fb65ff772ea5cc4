/**
 * The plan as a terminal diff, laid out as `terraform plan` does so Terraform users feel at home:
 * drift first, then one block per changed resource, output changes, the deploy sequence and
 * the summary line. A pure function of the plan; colour is the caller's choice.
 */
import { reasonTexts } from './reasons.js';
import { formatDuration, formatUtcClock } from '../duration.js';
import { typeAndName } from '../addrs/address.js';
import { type DataSourceRead, type Drift, type Plan, type Reason, type ResourceChange, planMovesState } from '../planner/plan.js';
import { diffAttributes, diffOutputs } from './attribute-diff.js';
import { diffBodyLines, type DiffLine } from './diff-lines.js';
import { makePaint, paintSymbol, type Paint } from './paint.js';
import { sequenceLines } from './step-graph.js';
import {
  SYMBOL_ORDER,
  changeHeadline,
  changeSymbol,
  driftHeadline,
  driftSymbol,
  summarySentence,
  symbolMeaning,
  type ChangeSymbol,
} from './symbols.js';

/** Options of `renderPlanText`. */
export interface PlanTextOptions {
  /** ANSI colours; decide with `shouldUseColor`. */
  readonly color: boolean;
}

/** Where the attributes of a resource block start (glyph column), as in Terraform. */
const BODY_INDENT = 6;
/** Where output changes start. */
const OUTPUT_INDENT = 2;
const RULE = '─'.repeat(77);

/** The whole text of a plan with nothing to do (and no drift). */
export const NO_CHANGES_TEXT = 'No changes. Your infrastructure matches the configuration.';

/** True when the plan would create, change or destroy something, or read a data source during apply. */
export function hasResourceChanges(plan: Plan): boolean {
  return plan.steps.length > 0 || plan.changes.some((c) => c.actions[0] !== 'no-op') || deferredReads(plan).length > 0;
}

/** The data sources read during apply, not while planning. */
function deferredReads(plan: Plan): readonly DataSourceRead[] {
  return plan.data?.filter((d) => d.deferred) ?? [];
}

/** Terraform's words for why a data source is read during apply. */
const DEFERRED_REASON: Readonly<Record<NonNullable<DataSourceRead['deferred']>, string>> = {
  'config-unknown': 'config refers to values not yet known',
  'dependency-pending': 'depends on a resource or a module with changes pending',
};

/** `# data.X will be read during apply` with its arguments and the attributes it reads, as Terraform shows it. */
function readBlock(d: DataSourceRead, paint: Paint): string[] {
  const body = diffBodyLines(diffAttributes(null, d.values, []), 'terraform', { identifying: true });
  return [
    paint.bold(`  # ${d.address} will be read during apply`),
    `  # (${DEFERRED_REASON[d.deferred!]})`,
    ` ${paintSymbol(paint, '<=')} data "${d.type}" "${d.name}" {`,
    ...printLines(body, BODY_INDENT, paint),
    '    }',
  ];
}

function printLines(lines: readonly DiffLine[], indent: number, paint: Paint): string[] {
  return lines.map((line) => {
    const marker = line.marker === ' ' ? '  ' : `${paintSymbol(paint, line.marker)} `;
    const note = line.note ? ` ${paint.removed(line.note)}` : '';
    return `${' '.repeat(indent + line.depth * 4)}${marker}${line.text}${note}`;
  });
}

function resourceBlock(symbol: ChangeSymbol, address: string, headline: string, reasons: readonly string[], body: readonly DiffLine[], paint: Paint): string[] {
  const { type, name } = typeAndName(address);
  const out = [paint.bold(`  # ${address} ${headline}`)];
  for (const reason of reasons) out.push(`  # (${reason})`);
  const open = `${' '.repeat(3 - symbol.length)}${paintSymbol(paint, symbol)} resource "${type}" "${name}" {`;
  if (body.length === 0) return [...out, `${open}}`];
  return [...out, open, ...printLines(body, BODY_INDENT, paint), '    }'];
}

function changeBlock(change: ResourceChange, paint: Paint): string[] {
  const diff = diffAttributes(change.before, change.after, change.replacePaths);
  const body = diffBodyLines(diff, 'terraform', { identifying: true });
  // A kept blue copy says so in its headline: "# X (kept blue, window ended 12:34 UTC) will be destroyed".
  const kept: readonly Reason[] = change.reasons.filter((r) => r.code === 'kept-window-ended' || r.code === 'kept-superseded');
  const headline = kept.length ? `(${reasonTexts(kept).join('; ')}) ${changeHeadline(change)}` : changeHeadline(change);
  return resourceBlock(changeSymbol(change), change.address, headline, reasonTexts(change.reasons.filter((r) => !kept.includes(r))), body, paint);
}

/** After the sequence: which deploys keep blue instead of destroying it, and their bake. */
function keptBlueLines(plan: Plan): string[] {
  return plan.units.flatMap((u) => {
    const k = u.keepBlue;
    if (!k || u.rollback) return [];
    const bake = k.bakeMs === 0 ? 'no bake' : `bake ${formatDuration(k.bakeMs)}, checks every ${formatDuration(k.bakeIntervalMs)}`;
    return [`      then ${u.address} (blue) is kept for ${formatDuration(k.windowMs)} after its switch (${bake}); infra rollback switches back to it`];
  });
}

/** Kept blue copies the plan leaves in place, and when their windows end. */
function keptSection(plan: Plan, paint: Paint): string[] {
  if (!plan.kept?.length) return [];
  return [
    paint.bold('Kept blue copies (infra rollback switches traffic back to them until their window ends):'),
    ...plan.kept.map((k) => `  # ${k.address} generation ${k.generation} (kept blue, window ends ${formatUtcClock(k.until)})`),
    '',
  ];
}

function driftBlock(drift: Drift, paint: Paint): string[] {
  const diff = diffAttributes(drift.before, drift.kind === 'deleted' ? null : drift.after);
  const body = diffBodyLines(diff, 'terraform', { identifying: true });
  return resourceBlock(driftSymbol(drift), drift.address, driftHeadline(drift), [], body, paint);
}

function driftSection(plan: Plan, paint: Paint): string[] {
  if (plan.drift.length === 0) return [];
  const out = [paint.bold('Note: Objects have changed outside of infra'), '', 'infra detected the following changes made outside of infra since the last "infra apply":'];
  for (const drift of plan.drift) out.push('', ...driftBlock(drift, paint));
  out.push(
    '',
    'Unless you have made equivalent changes to your configuration, or ignored the relevant',
    'attributes using ignore_changes, the following plan may include actions to undo or respond',
    'to these changes.',
    '',
    RULE,
    '',
  );
  return out;
}

function legend(changes: readonly ResourceChange[], reads: boolean, paint: Paint): string[] {
  const used = new Set(changes.map((c) => changeSymbol(c)));
  const symbols = SYMBOL_ORDER.filter((s) => used.has(s));
  if (symbols.length === 0 && !reads) return [];
  return [
    'Resource actions are indicated with the following symbols:',
    ...symbols.map((s) => `${' '.repeat(3 - s.length)}${paintSymbol(paint, s)} ${symbolMeaning(s)}`),
    ...(reads ? [` ${paintSymbol(paint, '<=')} read (data resources)`] : []),
    '',
  ];
}

function targetNote(plan: Plan): string[] {
  if (plan.targets.length === 0) return [];
  const pulled = plan.mode === 'destroy' ? 'what depends on them' : 'what they depend on';
  return [`Note: --target is in effect: only ${plan.targets.join(', ')} and ${pulled} are planned.`, ''];
}

function outputSection(plan: Plan, paint: Paint): string[] {
  const diff = diffOutputs(plan.outputs);
  if (diff.entries.length === 0) return [];
  return ['Changes to Outputs:', ...printLines(diffBodyLines(diff, 'terraform'), OUTPUT_INDENT, paint), ''];
}

/** Terraform's words for an object an import block adopts. */
function importLines(address: string, id: string, paint: Paint): string[] {
  return [paint.bold(`  # ${address} will be imported`), `  # (imported from "${id}")`];
}

/** The summary line, with Terraform's "N to import" first when the plan imports. */
function summaryLine(plan: Plan): string {
  const n = plan.imports?.length ?? 0;
  const sentence = summarySentence(plan.summary);
  return n > 0 ? sentence.replace(/^Plan: /, `Plan: ${n} to import, `) : sentence;
}

/** Terraform's words for a moved instance. */
function movedHeadline(from: string, to: string): string {
  return `  # ${from} has moved to ${to}`;
}

/**
 * The blocks of instances that only move in the state (`moved`, nothing else changes) and of
 * those the state forgets (`removed`), in Terraform's words.
 */
function stateOnlyBlocks(plan: Plan, changed: ReadonlySet<string>, paint: Paint): string[] {
  const out: string[] = [];
  for (const m of plan.moves ?? []) {
    if (changed.has(m.to)) continue;
    const { type, name } = typeAndName(m.to);
    const change = plan.changes.find((c) => c.address === m.to);
    const body = change ? diffBodyLines(diffAttributes(change.before, change.after, []), 'terraform', { identifying: true }) : [];
    out.push('', paint.bold(movedHeadline(m.from, m.to)), ...(body.length ? [`    resource "${type}" "${name}" {`, ...printLines(body, BODY_INDENT, paint), '    }'] : [`    resource "${type}" "${name}" {}`]));
  }
  for (const i of plan.imports ?? []) {
    if (changed.has(i.address)) continue;
    const { type, name } = typeAndName(i.address);
    const change = plan.changes.find((c) => c.address === i.address);
    const body = change ? diffBodyLines(diffAttributes(change.before, change.after, []), 'terraform', { identifying: true }) : [];
    out.push('', ...importLines(i.address, i.id, paint), ...(body.length ? [`    resource "${type}" "${name}" {`, ...printLines(body, BODY_INDENT, paint), '    }'] : [`    resource "${type}" "${name}" {}`]));
  }
  for (const address of plan.forgets ?? []) {
    const { type, name } = typeAndName(address);
    out.push('', paint.bold(`  # ${address} will no longer be managed by infra, but will not be destroyed`), '  # (a removed block is in the configuration)', ` . resource "${type}" "${name}" {}`);
  }
  return out;
}

/**
 * The plan as text. Lines end with `\n`, including the last. No-op changes are not listed;
 * sensitive values print as `(sensitive value)` and unknown ones as `(known after apply)`.
 */
export function renderPlanText(plan: Plan, opts: PlanTextOptions): string {
  const paint = makePaint(opts.color);
  const out: string[] = [...driftSection(plan, paint), ...targetNote(plan)];
  const outputs = outputSection(plan, paint);
  out.push(...keptSection(plan, paint));
  if (!hasResourceChanges(plan) && !planMovesState(plan)) {
    if (outputs.length === 0) {
      out.push(paint.bold(NO_CHANGES_TEXT));
    } else {
      out.push(
        paint.bold('No changes to infrastructure.'),
        '',
        ...outputs,
        'You can apply this plan to save these new output values to the state, without changing any real infrastructure.',
      );
    }
    return `${out.join('\n')}\n`;
  }
  const changes = plan.changes.filter((c) => c.actions[0] !== 'no-op');
  const reads = deferredReads(plan);
  out.push(...legend(changes, reads.length > 0, paint));
  if (changes.length > 0 || reads.length > 0 || planMovesState(plan)) {
    out.push('infra will perform the following actions:');
    const movedTo = new Map((plan.moves ?? []).map((m) => [m.to, m.from]));
    const importedAt = new Map((plan.imports ?? []).map((i) => [i.address, i.id]));
    // Reads and changes in one list by address, as Terraform orders them.
    const blocks: { address: string; lines: string[] }[] = reads.map((d) => ({ address: d.address, lines: readBlock(d, paint) }));
    for (const change of changes) {
      const from = movedTo.get(change.address);
      const id = importedAt.get(change.address);
      blocks.push({ address: change.address, lines: [...(from === undefined ? [] : [paint.bold(movedHeadline(from, change.address))]), ...(id === undefined ? [] : importLines(change.address, id, paint)), ...changeBlock(change, paint)] });
    }
    // (Stable: changes keep the plan's order among themselves.)
    if (reads.length > 0) blocks.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    for (const b of blocks) out.push('', ...b.lines);
    out.push(...stateOnlyBlocks(plan, new Set(changes.map((c) => c.address)), paint), '');
  }
  out.push(...outputs);
  if (plan.steps.length > 0) out.push(paint.bold('Deploy sequence:'), ...sequenceLines(plan.steps, paint), ...keptBlueLines(plan), '');
  out.push(paint.bold(summaryLine(plan)));
  return `${out.join('\n')}\n`;
}

/** The stream a rendering is written to; only whether it is a terminal matters. */
export interface ColorStream {
  readonly isTTY?: boolean;
}

/**
 * Whether to colour output written to `stream`. `flag` is the command line's choice
 * (`--no-color` gives false, an explicit `--color` true, neither undefined). Off for
 * `--no-color`, for a non-empty `NO_COLOR`, and when the stream is not a terminal; a
 * non-empty `FORCE_COLOR` turns it on even then (`FORCE_COLOR=0` or `false` turns it off).
 */
export function shouldUseColor(stream: ColorStream, env: Readonly<Record<string, string | undefined>>, flag?: boolean): boolean {
  if (flag !== undefined) return flag;
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}
