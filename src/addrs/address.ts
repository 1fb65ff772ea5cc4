/**
 * Addresses of resources, instances and blue-green copies: one type, parsed and formatted here
 * and nowhere else. Plans, state and renderers carry addresses as their text (the text is what
 * files and people read); whoever needs a part of one asks this module, never a regex.
 *
 *   local_host.ns            the block (resource) address
 *   local_host.ns["ns1"]     an instance of it: the block part and the key
 *   local_host.ns["ns1"]#2   one blue-green copy of the instance: the address and its generation
 */
import { type Result, error } from '../diagnostics.js';

/** The key of an instance: a `for_each` key, a `count` index, or null for a single instance. */
export type InstanceKey = string | number | null;

/** A resource or instance address, by its parts. */
export interface Address {
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
  return instanceAddress(`${a.type}.${a.name}`, a.key);
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
  const bracket = address.indexOf('[');
  return bracket < 0 ? address : address.slice(0, bracket);
}

/** The name part of an address (`ns` for `local_host.ns["a"]`), or '' when it has no dot. */
export function nameOf(address: string): string {
  const block = blockOf(address);
  const dot = block.indexOf('.');
  return dot < 0 ? '' : block.slice(dot + 1);
}

/** The type and name parts of an address (`{ type: 'linode_instance', name: 'ns' }` for `linode_instance.ns["a"]`). */
export function typeAndName(address: string): { type: string; name: string } {
  const block = blockOf(address);
  const dot = block.indexOf('.');
  return dot < 0 ? { type: block, name: '' } : { type: block.slice(0, dot), name: block.slice(dot + 1) };
}

/** True when `address` names an instance of a block (it has a key). */
export function hasKey(address: string): boolean {
  return address.indexOf('[') >= 0;
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
    diagnostics: [error(`Invalid resource address ${JSON.stringify(text)}`, `${why} An address is TYPE.NAME, TYPE.NAME[0] or TYPE.NAME["key"].`)],
  });
  const t = text.trim();
  const bracket = t.indexOf('[');
  const block = bracket < 0 ? t : t.slice(0, bracket);
  const dot = block.indexOf('.');
  const type = dot < 0 ? block : block.slice(0, dot);
  const name = dot < 0 ? '' : block.slice(dot + 1);
  if (!IDENT.test(type) || !IDENT.test(name)) return bad('');
  if (bracket < 0) return { value: { type, name, key: null }, diagnostics: [] };
  if (!t.endsWith(']')) return bad('');
  const index = t.slice(bracket + 1, -1);
  if (/^\d+$/.test(index)) return { value: { type, name, key: Number(index) }, diagnostics: [] };
  if (index.startsWith('"')) {
    try {
      const key: unknown = JSON.parse(index);
      if (typeof key === 'string') return { value: { type, name, key }, diagnostics: [] };
    } catch {
      // falls through to the message below
    }
    return bad('The key is not a valid quoted string.');
  }
  return bad('The index must be a whole number or a quoted string.');
}

/**
 * True when `target` (a --target value) selects the instance at `address`: the instance's own
 * address, its block's address, or its bare name.
 */
export function targetMatches(target: string, address: string): boolean {
  return address === target || blockOf(address) === target || nameOf(address) === target;
}

/** Every spelling a --target could use for `address`, for "did you mean". */
export function targetSpellings(address: string): string[] {
  return [address, blockOf(address), nameOf(address)];
}
