/**
 * Lays out an attribute diff as lines, before any colour or indentation is chosen. Two styles:
 * - `terraform`: one line per changed attribute, `~ image = "a" -> "b"`, as in `terraform plan`;
 * - `unified`: a changed value becomes a `-` line and a `+` line, for Markdown ```diff blocks,
 *   which GitHub colours by their first character.
 */
import type { Value } from '../evaluate/value.js';
import type { EntryDiff, ListDiff, ObjectDiff, TextDiff, ValueDiff } from './attribute-diff.js';
import { UNKNOWN_TEXT, formatInline, formatKey } from './format-value.js';
import { plural } from './symbols.js';

/** How a changed value is laid out (see the module comment). */
export type DiffStyle = 'terraform' | 'unified';

/** `~` only appears in the terraform style. */
export type LineMarker = '+' | '-' | '~' | ' ';

/** One line of a laid-out diff; the renderer adds indentation (by depth) and colour. */
export interface DiffLine {
  /** Nesting depth below the resource body (0 = an attribute of the resource). */
  readonly depth: number;
  readonly marker: LineMarker;
  readonly text: string;
  /** A trailing comment such as `# forces replacement`, coloured apart. */
  readonly note?: string;
}

/** Unchanged lines of a text kept around each change. */
const TEXT_CONTEXT = 3;

/** Unchanged attributes still shown in an updated resource, because they say which one it is. */
const IDENTIFYING_ATTRIBUTES: ReadonlySet<string> = new Set(['id', 'name', 'label']);

/** The note on an attribute whose change forces the replacement. */
export const FORCES_REPLACEMENT_NOTE = '# forces replacement';

interface Layout {
  readonly style: DiffStyle;
  readonly out: DiffLine[];
}

function actionMarker(layout: Layout, action: ValueDiff['action']): LineMarker {
  switch (action) {
    case 'create':
      return '+';
    case 'delete':
      return '-';
    case 'update':
      return layout.style === 'terraform' ? '~' : ' ';
    default:
      return ' ';
  }
}

function push(layout: Layout, depth: number, marker: LineMarker, text: string, note?: string): void {
  layout.out.push(note ? { depth, marker, text, note } : { depth, marker, text });
}

/**
 * Lines of one value at `depth`. `prefix` is `key = ` (padded) for attributes and `''` for list
 * elements; `suffix` is `,` for list elements. `nullOnDelete` writes Terraform's `-> null`.
 */
function valueLines(layout: Layout, diff: ValueDiff, depth: number, prefix: string, suffix: string, note: string | undefined, nullOnDelete: boolean): void {
  switch (diff.kind) {
    case 'leaf':
      return leafLines(layout, diff.action, diff.before, diff.after, depth, prefix, suffix, note, nullOnDelete);
    case 'text':
      return textLines(layout, diff, depth, prefix, note);
    case 'object':
      push(layout, depth, actionMarker(layout, diff.action), `${prefix}{`, note);
      entryLines(layout, diff, depth + 1, false);
      return closeLine(layout, diff.action, depth, `}${suffix}`, nullOnDelete);
    case 'list':
      push(layout, depth, actionMarker(layout, diff.action), `${prefix}[`, note);
      elementLines(layout, diff, depth + 1);
      return closeLine(layout, diff.action, depth, `]${suffix}`, nullOnDelete);
  }
}

function closeLine(layout: Layout, action: ValueDiff['action'], depth: number, text: string, nullOnDelete: boolean): void {
  // Terraform closes blocks unmarked; a unified diff marks the whole of an added or removed block.
  const marker = layout.style === 'unified' && (action === 'create' || action === 'delete') ? actionMarker(layout, action) : ' ';
  push(layout, depth, marker, action === 'delete' && nullOnDelete && layout.style === 'terraform' ? `${text} -> null` : text);
}

function leafLines(
  layout: Layout,
  action: ValueDiff['action'],
  before: Value | undefined,
  after: Value | undefined,
  depth: number,
  prefix: string,
  suffix: string,
  note: string | undefined,
  nullOnDelete: boolean,
): void {
  const b = before === undefined ? 'null' : formatInline(before);
  const a = after === undefined ? 'null' : formatInline(after);
  switch (action) {
    case 'same':
      return push(layout, depth, ' ', `${prefix}${a}${suffix}`);
    case 'create':
      return push(layout, depth, '+', `${prefix}${a}${suffix}`, note);
    case 'delete':
      return push(layout, depth, '-', `${prefix}${b}${nullOnDelete && layout.style === 'terraform' ? ' -> null' : ''}${suffix}`, note);
    case 'update':
      if (layout.style === 'terraform') return push(layout, depth, '~', `${prefix}${b} -> ${a}${suffix}`, note);
      push(layout, depth, '-', `${prefix}${b}${suffix}`);
      return push(layout, depth, '+', `${prefix}${a}${suffix}`, note);
  }
}

function textLines(layout: Layout, diff: TextDiff, depth: number, prefix: string, note: string | undefined): void {
  if (diff.becomesUnknown) return textBecomingUnknownLines(layout, diff, depth, prefix, note);
  const marker = actionMarker(layout, diff.action);
  push(layout, depth, marker, `${prefix}<<-EOT`, note);
  // Terraform shows a created or deleted text plainly; only a changed one gets per-line marks.
  const perLine = layout.style === 'unified' || diff.action === 'update';
  const changed = diff.lines.map((l) => l.op !== ' ');
  const near = (i: number) => {
    if (diff.action !== 'update') return true;
    for (let j = Math.max(0, i - TEXT_CONTEXT); j <= Math.min(diff.lines.length - 1, i + TEXT_CONTEXT); j++) if (changed[j]) return true;
    return false;
  };
  let hidden = 0;
  const flushHidden = () => {
    if (hidden > 0) push(layout, depth + 1, ' ', `# (${plural(hidden, 'unchanged line')} hidden)`);
    hidden = 0;
  };
  diff.lines.forEach((line, i) => {
    if (!near(i)) {
      hidden++;
      return;
    }
    flushHidden();
    push(layout, depth + 1, perLine ? line.op : ' ', line.text);
  });
  flushHidden();
  push(layout, depth, layout.style === 'unified' ? marker : ' ', 'EOT');
}

/** The old text whole, then Terraform's `EOT -> (known after apply)`; unified: `-` text, `+` unknown. */
function textBecomingUnknownLines(layout: Layout, diff: TextDiff, depth: number, prefix: string, note: string | undefined): void {
  const unified = layout.style === 'unified';
  push(layout, depth, unified ? '-' : '~', `${prefix}<<-EOT`, unified ? undefined : note);
  for (const line of diff.lines) push(layout, depth + 1, unified ? '-' : ' ', line.text);
  if (!unified) return push(layout, depth, ' ', `EOT -> ${UNKNOWN_TEXT}`);
  push(layout, depth, '-', 'EOT');
  push(layout, depth, '+', `${prefix}${UNKNOWN_TEXT}`, note);
}

function elementLines(layout: Layout, diff: ListDiff, depth: number): void {
  const hide = diff.action === 'update' || diff.action === 'same';
  let hidden = 0;
  const flushHidden = () => {
    if (hidden > 0) push(layout, depth, ' ', `# (${plural(hidden, 'unchanged element')} hidden)`);
    hidden = 0;
  };
  for (const element of diff.elements) {
    if (hide && element.action === 'same') {
      hidden++;
      continue;
    }
    flushHidden();
    valueLines(layout, element, depth, '', ',', undefined, false);
  }
  flushHidden();
}

function entryLines(layout: Layout, diff: ObjectDiff, depth: number, identifying: boolean): void {
  // Only a created or destroyed object is shown whole; elsewhere unchanged attributes are counted.
  const hide = diff.action === 'update' || diff.action === 'same';
  const shown = diff.entries.filter((e) => !hide || e.diff.action !== 'same' || (identifying && IDENTIFYING_ATTRIBUTES.has(e.key)));
  const width = Math.max(0, ...shown.map((e) => formatKey(e.key).length));
  for (const entry of shown) entryLine(layout, entry, depth, width);
  const hidden = diff.entries.length - shown.length;
  if (hidden > 0) push(layout, depth, ' ', `# (${plural(hidden, 'unchanged attribute')} hidden)`);
}

function entryLine(layout: Layout, entry: EntryDiff, depth: number, width: number): void {
  const prefix = `${formatKey(entry.key).padEnd(width)} = `;
  valueLines(layout, entry.diff, depth, prefix, '', entry.forcesReplacement ? FORCES_REPLACEMENT_NOTE : undefined, true);
}

/**
 * The lines of an attribute map's diff (a resource body, drifted attributes, outputs). In an
 * updated map unchanged attributes are hidden and counted, except identifying ones (`id`,
 * `name`, `label`) when `identifying` is set.
 */
export function diffBodyLines(diff: ObjectDiff, style: DiffStyle, options: { readonly identifying?: boolean } = {}): DiffLine[] {
  const layout: Layout = { style, out: [] };
  entryLines(layout, diff, 0, options.identifying ?? false);
  return layout.out;
}
