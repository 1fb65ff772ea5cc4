/**
 * The `moved` / `removed` pass: runs before any instance is evaluated, over the configuration's
 * blocks and the refreshed state, and carries them out in memory, as Terraform does: the rest of
 * the plan is computed against the state with the moves made and the removed instances
 * forgotten, so a rename plans no destroy and no create. The plan carries what was moved and
 * forgotten (`Plan.moves`, `Plan.forgets`), and apply writes exactly that to the state, in one
 * write before any provider step (state/move.ts `carryOutPlannedMoves`).
 *
 * Statements are followed in chain order (`A -> B` then `B -> C` moves A to C, as Terraform
 * does); a statement whose source the state does not hold is a no-op, so blocks may stay in the
 * configuration after they were carried out. The static rules (cycles, ambiguous statements,
 * a source still declared) are the loader's (config/moves-check.ts); this pass adds what needs
 * the state: a destination the state already holds.
 */
import { blockAddress, blockOf, movesOneInstance, formatAddress, hasKey, instanceAddress, parseAddress, type Address } from '../addrs/address.js';
import type { MoveDecl } from '../config/types.js';
import type { Diagnostic } from '../diagnostics.js';
import { type PlannedMove, forgetInstances, moveInstances, selectedRecords } from '../state/move.js';
import { error } from '../diagnostics.js';
import { upsertInstance } from '../state/query.js';
import type { StateFile, StateInstance } from '../state/types.js';

/** What the pass made of the blocks: the state to plan against, and what the plan carries. */
export interface CarriedMoves {
  readonly state: StateFile;
  /** One per instance address moved, from its address in the refreshed state to its new one. */
  readonly moves: readonly PlannedMove[];
  /** Instance addresses the state forgets (their objects are not destroyed). */
  readonly forgets: readonly string[];
}

/**
 * `state` with the configuration's `moved` and `removed` blocks carried out, or null with the
 * diagnostics (located at the block) when one cannot be.
 */
export function carryOutMoves(decls: readonly MoveDecl[], state: StateFile, diagnostics: Diagnostic[]): CarriedMoves | null {
  let current = state;
  /** Current address -> the address the records had in `state`. */
  const original = new Map<string, string>();
  const originOf = (address: string): string => original.get(address) ?? address;
  let ok = true;
  for (const m of chainOrder(decls.filter((d) => d.to !== null))) {
    const from = parseAddress(m.from).value;
    const to = parseAddress(m.to!).value;
    if (!from || !to) continue; // the loader only produces addresses that parse
    const moving = selectedRecords(current, from);
    if (moving.length === 0) continue;
    const r = moveInstances(current, from, to);
    if (!r.state) {
      diagnostics.push(...r.diagnostics.map((d) => ({ ...d, range: m.range })));
      ok = false;
      continue;
    }
    const renamed = new Map(moving.map((rec) => [rec.address, newAddress(from, to, rec.index)]));
    for (const [old, now] of renamed) {
      const origin = originOf(old);
      original.delete(old);
      original.set(now, origin);
    }
    current = r.state;
  }
  if (!ok) return null;
  const forgets: string[] = [];
  for (const m of decls.filter((d) => d.to === null)) {
    const from = parseAddress(m.from).value;
    if (!from || selectedRecords(current, from).length === 0) continue;
    const r = forgetInstances(current, from);
    current = r.state!;
    for (const a of r.changed) if (!forgets.includes(a)) forgets.push(a);
  }
  const moves = [...original].filter(([now, was]) => now !== was).map(([now, was]) => ({ from: was, to: now }));
  moves.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  return { state: current, moves, forgets };
}

/** The address a record at instance key `index` gets when `from` moves to `to`. */
function newAddress(from: Address, to: Address, index: Address['key']): string {
  return movesOneInstance(from, to) ? formatAddress(to) : instanceAddress(blockAddress(to), index);
}

/** True when what a statement moves to `to` is (partly) what another moves from `from`. */
function feeds(to: string, from: string): boolean {
  if (to === from) return true;
  if (!hasKey(from)) return blockOf(to) === from;
  return !hasKey(to) && to === blockOf(from);
}

/**
 * `moved` statements in the order they are followed: a statement moving to where another moves
 * from comes first (`A -> B` before `B -> C`). The loader refused cycles, so this terminates.
 */
function chainOrder(moves: readonly MoveDecl[]): MoveDecl[] {
  const out: MoveDecl[] = [];
  const placed = new Set<MoveDecl>();
  const visit = (m: MoveDecl, depth: number): void => {
    if (placed.has(m) || depth > moves.length) return;
    for (const before of moves) if (before !== m && feeds(before.to!, m.from)) visit(before, depth + 1);
    if (!placed.has(m)) {
      placed.add(m);
      out.push(m);
    }
  };
  for (const m of moves) visit(m, 0);
  return out;
}

/** An object an `import` block adopts in this plan: read by ID before planning (commands/import.ts). */
export interface PlannedImport {
  readonly address: string;
  /** The provider's ID of the object, as the block wrote it. */
  readonly id: string;
  /** The record apply writes: ready, live, the blue copy of a blue-green resource. */
  readonly record: StateInstance;
}

/**
 * `state` with the imported objects recorded, so the plan diffs the configuration against what
 * they have. An address the state already holds (after the moves) is an error at the block.
 */
export function addImports(imports: readonly PlannedImport[], state: StateFile, ranges: ReadonlyMap<string, Diagnostic['range']>, diagnostics: Diagnostic[]): StateFile | null {
  let current = state;
  for (const i of imports) {
    if (current.resources.some((r) => r.address === i.address)) {
      diagnostics.push(error(`Cannot import ${i.address}: the state already holds it`, `A moved block moves an object to ${i.address}, or it was imported before. Remove the import block, or forget the object first (infra state rm '${i.address}').`, ranges.get(i.address)));
      return null;
    }
    current = upsertInstance(current, i.record);
  }
  return current;
}
