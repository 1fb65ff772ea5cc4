/**
 * Addresses of resources, instances and blue-green copies: one type, parsed and formatted here
 * and nowhere else. Plans, state and renderers carry addresses as their text (the text is what
 * files and people read); whoever needs a part of one asks this module, never a regex.
 *
 *   local_host.ns            the block (resource) address
 *   local_host.ns["ns1"]     an instance of it: the block part and the key
 *   local_host.ns["ns1"]#2   one blue-green copy of the instance: the address and its generation
 *   module.dns["a"].local_host.ns   a resource inside an instance of a module call (module path first)
 */
import { type Result, error } from '../diagnostics.js';

/** The key of an instance: a `for_each` key, a `count` index, or null for a single instance. */
export type InstanceKey = string | number | null;

/** A resource or instance address, by its parts. */
export interface Address {
  /** The module instance path (`module.dns["a"]`, `module.a.module.b[0]`); absent in the root module. */
  readonly module?: string;
  readonly type: string;
  readonly name: string;
  /** Null for a block address or the single instance of a block without for_each/count. */
  readonly key: InstanceKey;
}

/** One recorded copy of an instance: blue-green instances hold two while a deploy runs. */
export interface CopyAddress {
  readonly address: string;
  readonly generation: number;
}

/** `type.name`, `type.name[0]` or `type.name["key"]` (the key JSON-quoted). */
export function formatAddress(a: Address): string {
  return instanceAddress(a.module ? `${a.module}.${a.type}.${a.name}` : `${a.type}.${a.name}`, a.key);
}

/** The block address of `a` (its key left off): `module.m["a"].type.name`. */
export function blockAddress(a: Address): string {
  return a.module ? `${a.module}.${a.type}.${a.name}` : `${a.type}.${a.name}`;
}

/**
 * True when a move from `from` to `to` moves one instance: both have keys, or one has a key and
 * the other, in another module, names the single instance of a resource there
 * (`x.y["a"]` -> `module.m["a"].x.y`). Otherwise (neither has a key) it moves a whole resource.
 */
export function movesOneInstance(from: Address, to: Address): boolean {
  if (from.key !== null && to.key !== null) return true;
  if (from.key === null && to.key === null) return false;
  return (from.module ?? '') !== (to.module ?? '');
}

/** Where the key group `[...]` at `open` ends (the index after its `]`), skipping a quoted key; -1 when it does not. */
function keyEnd(text: string, open: number): number {
  let i = open + 1;
  if (text[i] === '"') {
    for (i++; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === '"') break;
    }
    i++;
  } else {
    while (i < text.length && text[i] !== ']') i++;
  }
  return text[i] === ']' ? i + 1 : -1;
}

/**
 * Splits `module.a["x"].module.b.TYPE.NAME[k]` into its module path (`module.a["x"].module.b`,
 * '' in the root module) and the rest (`TYPE.NAME[k]`). Keys may hold dots and brackets.
 */
export function splitModule(address: string): { module: string; rest: string } {
  if (!address.startsWith('module.')) return { module: '', rest: address };
  let i = 0;
  let end = 0;
  while (address.startsWith('module.', i)) {
    let j = i + 7;
    while (j < address.length && address[j] !== '.' && address[j] !== '[') j++;
    if (address[j] === '[') {
      j = keyEnd(address, j);
      if (j < 0) break;
    }
    if (address[j] !== '.') {
      // `module.NAME` or `module.NAME[k]` with nothing after it: a module address, no resource part.
      return { module: address.slice(0, j), rest: '' };
    }
    end = j;
    i = j + 1;
  }
  return { module: address.slice(0, end), rest: address.slice(end === 0 ? 0 : end + 1) };
}

/** The address of the instance of block `block` with `key`. */
export function instanceAddress(block: string, key: InstanceKey): string {
  if (key === null) return block;
  return typeof key === 'number' ? `${block}[${key}]` : `${block}[${JSON.stringify(key)}]`;
}

/**
 * The block part of an address: `local_host.ns` for `local_host.ns["a"]`. Types and names never
 * hold `[`, so the first one starts the key.
 */
export function blockOf(address: string): string {
  if (address.charCodeAt(address.length - 1) !== 93 /* ] */) return address;
  if (!address.startsWith('module.')) {
    const bracket = address.indexOf('[');
    return bracket < 0 ? address : address.slice(0, bracket);
  }
  const { module, rest } = splitModule(address);
  const bracket = rest.indexOf('[');
  return bracket < 0 ? address : `${module}.${rest.slice(0, bracket)}`;
}

/** The name part of an address (`ns` for `local_host.ns["a"]`), or '' when it has no dot. */
export function nameOf(address: string): string {
  const block = splitModule(blockOf(address)).rest;
  const dot = block.indexOf('.');
  return dot < 0 ? '' : block.slice(dot + 1);
}

/** The type and name parts of an address (`{ type: 'linode_instance', name: 'ns' }` for `linode_instance.ns["a"]`). */
export function typeAndName(address: string): { type: string; name: string } {
  const block = splitModule(blockOf(address)).rest;
  const dot = block.indexOf('.');
  return dot < 0 ? { type: block, name: '' } : { type: block.slice(0, dot), name: block.slice(dot + 1) };
}

/** True when `address` names an instance of a block (it has a key). */
export function hasKey(address: string): boolean {
  return blockOf(address) !== address;
}

/** The module instance path of an address (`module.dns["a"]` for `module.dns["a"].local_host.ns`), '' in the root module. */
export function moduleOf(address: string): string {
  return address.startsWith('module.') ? splitModule(address).module : '';
}

/** `local_host.ns["ns1"]#2`: a copy as one string, for maps keyed by copy. */
export function copyKey(c: CopyAddress): string {
  return `${c.address}#${c.generation}`;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Parses `type.name`, `type.name[0]` or `type.name["k"]` (from --target, state commands, plan
 * files); null and a diagnostic otherwise.
 */
export function parseAddress(text: string): Result<Address | null> {
  const bad = (why: string): Result<null> => ({
    value: null,
    diagnostics: [error(`Invalid resource address ${JSON.stringify(text)}`, `${why} An address is TYPE.NAME, TYPE.NAME[0] or TYPE.NAME["key"], inside a module module.NAME.TYPE.NAME or module.NAME["key"].TYPE.NAME.`)],
  });
  const whole = text.trim();
  const { module, rest: t } = splitModule(whole);
  if (module !== '' && !validModulePath(module)) return bad('');
  const inModule = (a: Address): Result<Address | null> => ({ value: module ? { module, ...a } : a, diagnostics: [] });
  const bracket = t.indexOf('[');
  const block = bracket < 0 ? t : t.slice(0, bracket);
  const dot = block.indexOf('.');
  const type = dot < 0 ? block : block.slice(0, dot);
  const name = dot < 0 ? '' : block.slice(dot + 1);
  if (!IDENT.test(type) || !IDENT.test(name) || type === 'module') return bad('');
  if (bracket < 0) return inModule({ type, name, key: null });
  if (!t.endsWith(']')) return bad('');
  const index = t.slice(bracket + 1, -1);
  if (/^\d+$/.test(index)) return inModule({ type, name, key: Number(index) });
  if (index.startsWith('"')) {
    try {
      const key: unknown = JSON.parse(index);
      if (typeof key === 'string') return inModule({ type, name, key });
    } catch {
      // falls through to the message below
    }
    return bad('The key is not a valid quoted string.');
  }
  return bad('The index must be a whole number or a quoted string.');
}

/** True when every step of a module path (`module.a["x"].module.b`) is `module.NAME` with an optional key. */
function validModulePath(path: string): boolean {
  let i = 0;
  while (i < path.length) {
    if (!path.startsWith('module.', i)) return false;
    let j = i + 7;
    while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
    if (!IDENT.test(path.slice(i + 7, j))) return false;
    if (path[j] === '[') {
      const close = keyEnd(path, j);
      if (close < 0) return false;
      const index = path.slice(j + 1, close - 1);
      if (!/^\d+$/.test(index)) {
        try {
          if (typeof JSON.parse(index) !== 'string') return false;
        } catch {
          return false;
        }
      }
      j = close;
    }
    if (j < path.length && path[j] !== '.') return false;
    i = j + 1;
  }
  return true;
}

/**
 * True when `target` (a --target value) selects the instance at `address`: the instance's own
 * address, its block's address, its bare name, or a module call or module instance holding it
 * (`module.dns`, `module.dns["a"]`).
 */
export function targetMatches(target: string, address: string): boolean {
  if (address === target || blockOf(address) === target || nameOf(address) === target) return true;
  return target.startsWith('module.') && (address.startsWith(`${target}.`) || address.startsWith(`${target}[`));
}

/** Every spelling a --target could use for `address`, for "did you mean". */
export function targetSpellings(address: string): string[] {
  const out = [address, blockOf(address), nameOf(address)];
  const module = moduleOf(address);
  if (module) out.push(module, module.replace(/\[[^\]]*\]$/, ''));
  return out;
}
