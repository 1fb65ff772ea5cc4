/**
 * The static rules of `moved` and `removed` blocks, checked by the loader so `infra validate`
 * reports them: the ones Terraform checks, in its words where it has them. What needs the state
 * (a destination already recorded) is the planner's (planner/moves.ts).
 *
 * - a move to the same address ("Redundant move statement");
 * - a move between resource types, or between a resource and an instance address;
 * - two statements moving the same address, or moving onto the same address ("Ambiguous move
 *   statements");
 * - statements whose chain comes back to where it started ("Cyclic dependency in move statements");
 * - a move or removal from a resource the configuration still declares ("Moved object still
 *   exists", "Removed resource still exists").
 */
import { movesOneInstance, parseAddress } from '../addrs/address.js';
import { type Diagnostic, type SourceRange, didYouMean, error } from '../diagnostics.js';
import type { ImportDecl, ModuleCallDecl, MoveDecl, ResourceDecl } from './types.js';

/** `main.infra:4,1`, as Terraform points at another block. */
function at(r: SourceRange): string {
  return `${r.file}:${r.start.line},${r.start.column}`;
}

/** Diagnostics for every rule `moves` break, located at the offending block, in source order. */
export function checkMoveDecls(moves: readonly MoveDecl[], resources: readonly ResourceDecl[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const declared = new Map(resources.map((r) => [r.address, r]));
  const movedFrom = new Map<string, MoveDecl>();
  const movedTo = new Map<string, MoveDecl>();
  for (const m of moves) {
    const decl = declared.get(m.from);
    if (m.to === null) {
      if (decl) {
        out.push(error('Removed resource still exists', `This statement declares that ${m.from} was removed, but it is still declared at ${at(decl.range)}.\n\nRemove the resource block, or remove this removed block to keep managing it.`, m.range));
      }
      continue;
    }
    if (m.from === m.to) {
      out.push(error('Redundant move statement', `This statement declares a move from ${m.from} to the same address, which is the same as not declaring this move at all.`, m.range));
      continue;
    }
    const from = parseAddress(m.from).value;
    const to = parseAddress(m.to).value;
    if (from && to && from.type !== to.type) {
      out.push(error('Resource type mismatch', `This statement declares a move from ${m.from} to ${m.to}, which is a resource of a different type: infra only renames, it cannot turn one type of object into another.`, m.range));
      continue;
    }
    if (from && to && (from.key === null) !== (to.key === null) && !movesOneInstance(from, to)) {
      out.push(error('Invalid move statement', `This statement moves ${m.from} to ${m.to}: move a whole resource to a resource address (TYPE.NAME), or one instance to an instance address (TYPE.NAME[KEY]).`, m.range));
      continue;
    }
    if (decl) {
      out.push(error('Moved object still exists', `This statement declares a move from ${m.from}, but that resource is still declared at ${at(decl.range)}.\n\nChange your configuration so that this resource will be declared as ${m.to} instead.`, m.range));
      continue;
    }
    const sameFrom = movedFrom.get(m.from);
    if (sameFrom) {
      out.push(error('Ambiguous move statements', `A statement at ${at(sameFrom.range)} declared that ${m.from} moved to ${sameFrom.to}, but this statement instead declares that it moved to ${m.to}.\n\nEach resource can move to only one destination.`, m.range));
      continue;
    }
    const sameTo = movedTo.get(m.to);
    if (sameTo) {
      out.push(error('Ambiguous move statements', `A statement at ${at(sameTo.range)} declared that ${sameTo.from} moved to ${m.to}, but this statement instead declares that ${m.from} moved there.\n\nEach resource can have moved from only one source.`, m.range));
      continue;
    }
    movedFrom.set(m.from, m);
    movedTo.set(m.to, m);
  }
  out.push(...cycles(movedFrom));
  return out;
}

/** One error per cycle of chained statements (`A -> B`, `B -> A`), at the first statement of it. */
function cycles(movedFrom: ReadonlyMap<string, MoveDecl>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const reported = new Set<MoveDecl>();
  for (const start of movedFrom.values()) {
    if (reported.has(start)) continue;
    const chain: MoveDecl[] = [];
    let m: MoveDecl | undefined = start;
    while (m && !chain.includes(m)) {
      chain.push(m);
      m = movedFrom.get(m.to!);
    }
    if (m !== start) continue;
    for (const c of chain) reported.add(c);
    const lines = chain.map((c) => `  - ${at(c.range)}: ${c.from} -> ${c.to}`);
    out.push(error('Cyclic dependency in move statements', `The following chained move statements form a cycle, and so there is no final location to move objects to:\n${lines.join('\n')}\n\nA chain of move statements must end with an address that doesn't appear in any other statements for which it is the source.`, start.range));
  }
  return out;
}

/**
 * `import` blocks against the resource blocks: the target must be declared (Terraform's
 * "Configuration for import target does not exist"), with a key exactly when the resource has
 * for_each or count. A target inside a module (`module.web["a"].TYPE.NAME`) is looked up in the
 * called modules' configurations.
 */
export function checkImportDecls(imports: readonly ImportDecl[], resources: readonly ResourceDecl[], modules?: ReadonlyMap<string, ModuleCallDecl>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const i of imports) {
    const to = parseAddress(i.to).value;
    if (!to) continue;
    const block = `${to.type}.${to.name}`;
    const where = to.module ? moduleResources(to.module, modules) : { resources };
    if ('missing' in where) {
      out.push(error('Configuration for import target does not exist', `The configuration has no module call ${where.missing} for ${i.to}. Write the module block the object is imported into.`, i.range));
      continue;
    }
    const declared = new Map(where.resources.map((r) => [r.address, r]));
    const decl = declared.get(block);
    const shown = to.module ? `${to.module}.${block}` : block;
    if (!decl) {
      const hint = didYouMean(block, declared.keys());
      out.push(error('Configuration for import target does not exist', `The configuration has no resource block for ${i.to}.${hint ? ` ${hint}` : ''} Write the resource "${to.type}" "${to.name}" block the object is imported as${to.module ? ` in the module of ${to.module}` : ''}.`, i.range));
      continue;
    }
    const keyed = decl.forEach !== undefined || decl.count !== undefined;
    if (keyed && to.key === null) {
      out.push(error(`Import target ${i.to} has ${decl.forEach ? 'for_each' : 'count'}`, `Import one instance of it: ${shown}${decl.forEach ? '["KEY"]' : '[0]'}.`, i.range));
    } else if (!keyed && to.key !== null) {
      out.push(error(`Import target ${i.to} has a key, but ${shown} has neither for_each nor count`, `Import it as ${shown}.`, i.range));
    }
  }
  return out;
}

/** The resource blocks of the module that `path` (`module.a["k"].module.b`) calls, or the first call in it that is not declared. */
function moduleResources(path: string, modules: ReadonlyMap<string, ModuleCallDecl> | undefined): { resources: readonly ResourceDecl[] } | { missing: string } {
  let calls = modules;
  let resources: readonly ResourceDecl[] = [];
  for (const [, name] of path.matchAll(/module\.([^.[]+)/g)) {
    const call = calls?.get(name);
    if (!call) return { missing: `module.${name}` };
    resources = call.config.resources;
    calls = call.config.modules;
  }
  return { resources };
}
