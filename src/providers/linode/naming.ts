/**
 * How instances are named and tagged on Linode, so that two blue-green copies never collide, one
 * filtered list request finds every instance of a state, and an instance the state lost can be
 * given back to the resource it was made for.
 *
 * - Label: the configured label, plus `-g<generation>` for blue-green copies (generation > 0):
 *   `ns1` -> `ns1-g2`. Linode labels must be unique on an account, so two generations of one
 *   resource can live side by side.
 * - `infra:<lineage>` on every instance of a state: the refresh and orphan filter.
 * - `infra-addr1:<address>` (and `infra-addr2:`, ... when it does not fit one tag): the resource
 *   address, escaped so that only `a-z 0-9 _ . -` remain, anything else (capitals included) as
 *   `~` and two hex digits: `linode_instance.ns~5b~22ns1~22~5d`. Tags may be compared without
 *   regard to case, and quotes and brackets are best kept out of them.
 * - `infra-gen:<generation>`: the generation of the copy.
 */
import { createHash } from 'node:crypto';

/** Linode's label length limits (API v4: 3-64 characters). */
export const LABEL_MIN_LENGTH = 3;
export const LABEL_MAX_LENGTH = 64;
/** Linode's tag length limits (API v4 tags: 3-50 characters). */
export const TAG_MIN_LENGTH = 3;
export const TAG_MAX_LENGTH = 50;

const STATE_TAG_PREFIX = 'infra:';
const ADDRESS_TAG_PREFIX = 'infra-addr';
const GENERATION_TAG_PREFIX = 'infra-gen:';
/** Tags the tool keeps for itself; users may not start theirs like this. */
const RESERVED = /^infra[:-]/;

/** The label sent to Linode for a copy of the given generation. */
export function linodeLabel(label: string, generation: number): string {
  return generation > 0 ? `${label}-g${generation}` : label;
}

/**
 * The configured label behind a label read from Linode, or null when the label read is not what
 * this tool would have sent (it was changed outside).
 */
export function configuredLabel(labelOnLinode: string, generation: number): string | null {
  if (generation <= 0) return labelOnLinode;
  const suffix = `-g${generation}`;
  return labelOnLinode.endsWith(suffix) ? labelOnLinode.slice(0, -suffix.length) : null;
}

/**
 * What is wrong with a label as Linode would see it (rules from the API v4 reference and its
 * OpenAPI pattern `^[a-zA-Z]((?!--|__|\.\.)[a-zA-Z0-9-_.])+$`: 3-64 characters; letters,
 * digits, `-`, `_`, `.`; begins with a letter and ends with a letter or digit; no two dashes,
 * underscores or periods in a row). Empty when it is valid.
 */
export function labelProblems(label: string): string[] {
  const problems: string[] = [];
  if (label.length < LABEL_MIN_LENGTH || label.length > LABEL_MAX_LENGTH) {
    problems.push(`must be ${LABEL_MIN_LENGTH}-${LABEL_MAX_LENGTH} characters long (it is ${label.length})`);
  }
  if (!/^[A-Za-z0-9._-]*$/.test(label)) {
    problems.push('may only contain letters, digits, "-", "_" and "."');
  }
  if (label.length > 0 && !/^[A-Za-z]/.test(label)) {
    problems.push('must begin with a letter');
  }
  if (label.length > 0 && !/[A-Za-z0-9]$/.test(label)) {
    problems.push('must end with a letter or digit');
  }
  if (/--|__|\.\./.test(label)) {
    problems.push('may not contain "--", "__" or ".."');
  }
  return problems;
}

/** The tag every instance of the state with this lineage carries. */
export function stateTag(lineage: string): string {
  const plain = lineage.toLowerCase();
  const room = TAG_MAX_LENGTH - STATE_TAG_PREFIX.length;
  // Tags are matched exactly by X-Filter, so they are kept to characters no layer will rewrite.
  if (/^[a-z0-9-]+$/.test(plain) && plain.length <= room) return STATE_TAG_PREFIX + plain;
  return STATE_TAG_PREFIX + createHash('sha256').update(lineage).digest('hex').slice(0, 32);
}

/** The tags naming the resource address an instance was created for (usually one). */
export function addressTags(address: string): string[] {
  // Room for the prefix, a two-digit index and the colon.
  const room = TAG_MAX_LENGTH - ADDRESS_TAG_PREFIX.length - 3;
  const tags: string[] = [];
  let chunk = '';
  for (const c of address) {
    const piece = /[a-z0-9_.-]/.test(c) ? c : escapeChar(c);
    // An escape is never split between two tags.
    if (chunk.length + piece.length > room) {
      tags.push(`${ADDRESS_TAG_PREFIX}${tags.length + 1}:${chunk}`);
      chunk = '';
    }
    chunk += piece;
  }
  tags.push(`${ADDRESS_TAG_PREFIX}${tags.length + 1}:${chunk}`);
  return tags;
}

/** The tag carrying a copy's generation. */
export function generationTag(generation: number): string {
  return `${GENERATION_TAG_PREFIX}${generation}`;
}

/** What an instance's tags say about where it belongs; null where they say nothing usable. */
export function decodeTags(tags: readonly string[]): { address: string | null; generation: number | null } {
  const chunks = new Map<number, string>();
  let generation: number | null = null;
  for (const tag of tags) {
    const a = /^infra-addr(\d+):(.*)$/.exec(tag);
    if (a) chunks.set(Number(a[1]), a[2]);
    const g = /^infra-gen:(\d+)$/.exec(tag);
    if (g) generation = Number(g[1]);
  }
  let escaped = '';
  for (let n = 1; n <= chunks.size; n++) {
    const chunk = chunks.get(n);
    if (chunk === undefined) return { address: null, generation };
    escaped += chunk;
  }
  return { address: chunks.size > 0 ? unescapeAddress(escaped) : null, generation };
}

/** True for tags this tool manages (hidden from the `tags` attribute). */
export function isManagedTag(tag: string): boolean {
  return tag.startsWith(STATE_TAG_PREFIX) || /^infra-addr\d+:/.test(tag) || tag.startsWith(GENERATION_TAG_PREFIX);
}

/** What is wrong with a user tag. Empty when it is valid. */
export function tagProblems(tag: string): string[] {
  const problems: string[] = [];
  if (tag.length < TAG_MIN_LENGTH || tag.length > TAG_MAX_LENGTH) {
    problems.push(`must be ${TAG_MIN_LENGTH}-${TAG_MAX_LENGTH} characters long (it is ${tag.length})`);
  }
  if (RESERVED.test(tag)) problems.push('begins with "infra:" or "infra-", which are reserved for the tool');
  return problems;
}

/** Every tag to put on an instance: the user's, then the tool's. */
export function allTags(userTags: readonly string[], lineage: string, address: string, generation: number): string[] {
  return [...new Set([...userTags, stateTag(lineage), ...addressTags(address), generationTag(generation)])];
}

function escapeChar(c: string): string {
  return [...Buffer.from(c, 'utf8')].map((b) => `~${b.toString(16).padStart(2, '0')}`).join('');
}

function unescapeAddress(escaped: string): string | null {
  if (!/^([a-z0-9_.-]|~[0-9a-f]{2})*$/.test(escaped)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; i++) {
    if (escaped[i] === '~') {
      bytes.push(parseInt(escaped.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(escaped.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}
