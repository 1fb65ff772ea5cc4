/**
 * The one place where a plan's actions become the words and glyphs people read. Text, Markdown
 * and graph renderers all go through here, so a glyph never means two things.
 */
import type { Action, Drift, PlanSummary, ResourceChange, Step, StepKind } from '../planner/plan.js';
import { formatDuration } from '../duration.js';

/** The glyphs of the text and Markdown diffs. `+/-` creates first (blue-green), `-/+` deletes first. */
export type ChangeSymbol = '+' | '-' | '~' | '-/+' | '+/-' | ' ';

/** The glyph of a resource change; `' '` for a no-op (never shown). */
export function changeSymbol(change: Pick<ResourceChange, 'actions'>): ChangeSymbol {
  const [first, second] = change.actions;
  if (second !== undefined) return first === 'create' ? '+/-' : '-/+';
  switch (first) {
    case 'create':
      return '+';
    case 'delete':
      return '-';
    case 'update':
      return '~';
    default:
      return ' ';
  }
}

/** The end of the `# ADDRESS ...` headline: "will be created", "must be replaced", ... */
export function changeHeadline(change: Pick<ResourceChange, 'actions' | 'blueGreen'>): string {
  switch (changeSymbol(change)) {
    case '+':
      return 'will be created';
    case '-':
      return 'will be destroyed';
    case '~':
      return 'will be updated in-place';
    case '-/+':
      return 'must be replaced';
    case '+/-':
      return change.blueGreen ? 'must be replaced by blue-green deploy' : 'must be replaced';
    default:
      return 'has no changes';
  }
}

/** The legend line for a glyph, as printed above the resource changes. */
export function symbolMeaning(symbol: ChangeSymbol): string {
  switch (symbol) {
    case '+':
      return 'create';
    case '-':
      return 'destroy';
    case '~':
      return 'update in-place';
    case '-/+':
      return 'destroy and then create replacement';
    case '+/-':
      return 'create replacement and then destroy (blue-green: create, verify, switch, destroy)';
    default:
      return 'no change';
  }
}

/** Legend order, as Terraform prints it. */
export const SYMBOL_ORDER: readonly ChangeSymbol[] = ['+', '~', '-', '-/+', '+/-'];

/** The glyph and headline of a change found by refresh. */
export function driftSymbol(drift: Pick<Drift, 'kind'>): ChangeSymbol {
  return drift.kind === 'deleted' ? '-' : '~';
}

/** `has been deleted` or `has changed`. */
export function driftHeadline(drift: Pick<Drift, 'kind'>): string {
  return drift.kind === 'deleted' ? 'has been deleted' : 'has changed';
}

/** True when the change removes an existing object (a delete, or the old copy of a replacement). */
export function destroysObject(change: Pick<ResourceChange, 'actions'>): boolean {
  return (change.actions as readonly Action[]).includes('delete');
}

/**
 * The word people read for a step kind. JSON keeps the data's `delete`; text, Markdown and
 * pictures say `destroy`, as Terraform does.
 */
export function stepKindWord(kind: StepKind): string {
  return kind === 'delete' ? 'destroy' : kind;
}

/** Width of the widest step kind word, for aligned sequences. */
export const STEP_KIND_WIDTH = 'destroy'.length;

/**
 * What a step acts on beyond its address: `(green)`, `-> green (after switch)`,
 * `192.0.2.5:53 -> (green):53`. Empty when there is nothing to add.
 */
export function stepDetail(step: Step): string {
  switch (step.kind) {
    case 'verify': {
      const parts: string[] = [];
      if (step.color) parts.push(`-> ${step.color}`);
      if (step.afterSwitch) parts.push('(after switch)');
      return parts.join(' ');
    }
    case 'switch':
      if (step.switchFrom !== undefined || step.switchTo !== undefined) {
        const moving = step.movesAddress === undefined ? '' : `${step.movesAddress} moves: `;
        return `${moving}${step.switchFrom ?? '(unknown)'} -> ${step.switchTo ?? '(unknown)'}`;
      }
      return step.color ? `-> ${step.color}` : '';
    case 'bake':
      return step.bake ? `(${formatDuration(step.bake.durationMs)}, checks every ${formatDuration(step.bake.intervalMs)})` : '';
    default:
      return step.color ? `(${step.color})` : '';
  }
}

/** `1 blue-green deploy`, `2 blue-green deploys`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * `Plan: 2 to add, 1 to change, 1 to destroy; 1 blue-green deploy.` The blue-green part is left
 * out when there are none.
 */
export function summarySentence(summary: PlanSummary): string {
  const deploys = summary.blueGreen > 0 ? `; ${plural(summary.blueGreen, 'blue-green deploy')}` : '';
  return `Plan: ${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy${deploys}.`;
}
