/**
 * Instance addresses in Terraform's order (`AbsResourceInstance.Less`, what `terraform state
 * list` prints): the root module first, then shallower module paths before deeper ones, module
 * paths step by step (name, then key); within a module data sources before resources, then
 * type, name and key (numbers before strings, numbers by value).
 */
import { splitModule } from './address.js';

type Key = string | number | null;

/** Negative when `a` sorts before `b` in Terraform's order, positive after, 0 for the same address. */
export function compareTerraformOrder(a: string, b: string): number {
  const x = parts(a);
  const y = parts(b);
  if (x.modules.length !== y.modules.length) return x.modules.length - y.modules.length;
  for (let i = 0; i < x.modules.length; i++) {
    const c = compareStrings(x.modules[i].name, y.modules[i].name) || compareKeys(x.modules[i].key, y.modules[i].key);
    if (c !== 0) return c;
  }
  if (x.data !== y.data) return x.data ? -1 : 1;
  return compareStrings(x.type, y.type) || compareStrings(x.name, y.name) || compareKeys(x.key, y.key);
}

interface Parts {
  readonly modules: readonly { readonly name: string; readonly key: Key }[];
  readonly data: boolean;
  readonly type: string;
  readonly name: string;
  readonly key: Key;
}

function parts(address: string): Parts {
  const { module, rest } = splitModule(address);
  const modules: { name: string; key: Key }[] = [];
  let m = module;
  while (m.startsWith('module.')) {
    const { name, key, tail } = step(m.slice(7));
    modules.push({ name, key });
    m = tail.startsWith('.') ? tail.slice(1) : tail;
  }
  const data = rest.startsWith('data.');
  const resource = data ? rest.slice(5) : rest;
  const dot = resource.indexOf('.');
  const type = resource.slice(0, dot);
  const { name, key } = step(resource.slice(dot + 1));
  return { modules, data, type, name, key };
}

/** `NAME`, `NAME[0]` or `NAME["k"]` at the start of `text`, and what follows. */
function step(text: string): { name: string; key: Key; tail: string } {
  let i = 0;
  while (i < text.length && text[i] !== '.' && text[i] !== '[') i++;
  const name = text.slice(0, i);
  if (text[i] !== '[') return { name, key: null, tail: text.slice(i) };
  if (text[i + 1] === '"') {
    let j = i + 2;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    return { name, key: JSON.parse(text.slice(i + 1, j + 1)) as string, tail: text.slice(j + 2) };
  }
  const close = text.indexOf(']', i);
  return { name, key: Number(text.slice(i + 1, close)), tail: text.slice(close + 1) };
}

function compareKeys(a: Key, b: Key): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return compareStrings(a, b);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
