/**
 * `yamldecode`: the YAML that configurations decode, read as Terraform reads it (go-cty-yaml,
 * checked against `terraform console`): one document of block mappings and sequences, flow
 * collections, plain, single- and double-quoted scalars, literal (`|`) and folded (`>`) block
 * scalars with chomping and indentation indicators, comments, anchors and aliases, merge keys
 * (`<<`), and the tags `!!str !!int !!float !!bool !!null !!map !!seq !!timestamp !!binary`.
 * Plain scalars resolve as Terraform resolves them (YAML 1.1 style: `yes`, `on`, `y` are true,
 * `0x1F` and `0o17` are numbers, dates become RFC 3339 timestamps). Not supported: directives
 * (`%YAML`), several documents, complex (collection) keys, infinity and NaN; each is an error.
 */
import { BEYOND_RANGE, beyondRange, numberToString, parseNumber } from './convert.js';
import type { Value } from './value.js';

/** Why a text is not YAML this decoder reads; `message` reads after "Argument 1 (src): ". */
export class YamlError {
  constructor(readonly message: string) {}
}

/** Deepest nesting of collections decoded (deeper input would overflow later recursive walks). */
export const MAX_YAML_DEPTH = 500;
/** Most values one document may expand to through aliases (a "billion laughs" guard). */
export const MAX_YAML_VALUES = 1_000_000;

/** Decodes one YAML document. */
export function yamlDecode(text: string): Value | YamlError {
  const parser = new YamlParser(text.replace(/\r\n?/g, '\n').replace(/^\ufeff/, ''));
  try {
    return parser.document();
  } catch (e) {
    if (e instanceof YamlError) return e;
    throw e;
  }
}

const TAG_PREFIX = 'tag:yaml.org,2002:';
const SUPPORTED_TAGS = ['str', 'int', 'float', 'bool', 'null', 'timestamp', 'binary', 'map', 'seq'];
const TRUE_WORDS = ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'];
const FALSE_WORDS = ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'];
const NULL_WORDS = ['', '~', 'null', 'Null', 'NULL'];
const INFINITIES = ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF'];
const NANS = ['.nan', '.NaN', '.NAN'];
const FLOW_INDICATORS = ',[]{}';
const ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b',
  ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029',
};
const HEX_ESCAPE_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };

/** A node's properties: `&anchor` and `!tag` (the tag in its long form). */
interface Properties {
  anchor?: string;
  tag?: string;
}

/** What a scalar was written as: a plain scalar resolves (`yes` is true), a quoted one is a string. */
class Scalar {
  constructor(
    readonly text: string,
    readonly quoted: boolean,
  ) {}
}

class YamlParser {
  private pos = 0;
  private depth = 0;
  private values = 0;
  private readonly anchors = new Map<string, { value: Value; size: number }>();
  private readonly defining = new Set<string>();

  constructor(private readonly src: string) {}

  // ---- document --------------------------------------------------------------------------

  document(): Value {
    this.skipToContent();
    if (this.pos >= this.src.length) this.fail('missing start of document', 0);
    if (this.src[this.pos] === '%') this.fail('directives are not supported');
    let value: Value;
    if (this.atMarker('---')) {
      this.pos += 3;
      this.skipSpaces();
      this.skipToContent();
      value = this.pos >= this.src.length || this.atMarker('---') || this.atMarker('...') ? null : this.node(-1, false);
    } else value = this.node(-1, false);
    this.skipToContent();
    if (this.atMarker('...')) {
      this.pos += 3;
      this.skipToContent();
    }
    if (this.pos < this.src.length) {
      this.fail(this.atMarker('---') ? 'unexpected extra content after value (only one YAML document is allowed)' : 'unexpected extra content after value');
    }
    return value;
  }

  // ---- block structure -------------------------------------------------------------------

  /**
   * The node starting at `pos` whose parent is indented `parentIndent`. `inline`: it follows its
   * mapping key on the same line, where block collections cannot start.
   */
  private node(parentIndent: number, inline: boolean): Value {
    const props = this.properties();
    if (this.atLineEnd()) {
      // Properties alone on the line: the content, if any, is on the lines below.
      this.skipToContent();
      const c = this.column();
      if (this.pos < this.src.length && c > parentIndent && !this.atDocumentMarker()) return this.withProperties(props, () => this.node(parentIndent, false));
      return this.finish(props, new Scalar('', false));
    }
    return this.withProperties(props, () => this.content(parentIndent, inline, props));
  }

  private content(parentIndent: number, inline: boolean, props: Properties): Value {
    const start = this.pos;
    const ch = this.src[this.pos];
    if (ch === '-' && this.isBlank(this.pos + 1)) {
      if (inline) this.fail('block sequence entries are not allowed in this context');
      return this.blockSequence(this.column());
    }
    if (ch === '?' && this.isBlank(this.pos + 1)) {
      if (inline) this.fail('mapping keys are not allowed in this context');
      return this.blockMapping(this.column(), undefined);
    }
    if (ch === '|' || ch === '>') return this.finish(props, new Scalar(this.blockScalar(parentIndent), true));
    if (ch === '*') return this.alias();
    let key: Scalar | Value;
    if (ch === '[' || ch === '{') key = this.flowCollection();
    else if (ch === '"' || ch === "'") key = this.quoted(parentIndent);
    else {
      const first = this.plainLine(false);
      if (!this.atMappingColon()) return this.finish(props, new Scalar(this.plainContinuation(first, parentIndent), false));
      key = new Scalar(first, false);
    }
    this.skipSpaces();
    if (!this.atMappingColon()) {
      if (!this.atLineEnd()) this.fail('did not find expected key');
      return isScalar(key) ? this.finish(props, key) : key;
    }
    if (inline) this.fail('mapping values are not allowed in this context');
    return this.blockMapping(this.columnOf(start), { key, at: start });
  }

  /**
   * `- item` lines at column `indent`. `underKey`: the value of a mapping key at the same column
   * (`key:` then `- item` lines), which the next key ends.
   */
  private blockSequence(indent: number, underKey = false): Value {
    const items: Value[] = [];
    this.enter();
    for (;;) {
      this.pos++; // the '-'
      items.push(this.afterIndicator(indent, false));
      this.skipToContent();
      if (this.pos >= this.src.length || this.column() < indent || this.atDocumentMarker()) break;
      if (this.column() > indent) this.fail('did not find expected key');
      if (!(this.src[this.pos] === '-' && this.isBlank(this.pos + 1))) {
        if (underKey) break;
        this.fail("did not find expected '-' indicator");
      }
    }
    this.leave();
    return items;
  }

  /** `key: value` lines at column `indent`; `first` is the key already read, if any. */
  private blockMapping(indent: number, first: { key: Scalar | Value; at: number } | undefined): Value {
    const out: Record<string, Value> = {};
    const merges: { value: Value; at: number }[] = [];
    this.enter();
    let entry = first;
    for (;;) {
      let key: Scalar | Value;
      let at: number;
      let value: Value;
      if (entry === undefined && this.src[this.pos] === '?' && this.isBlank(this.pos + 1)) {
        // An explicit key: `? key` and, on a line of its own, `: value`.
        at = this.pos + 1;
        this.pos++;
        const k = this.afterIndicator(indent, false);
        key = k;
        this.skipToContent();
        if (this.column() === indent && this.src[this.pos] === ':' && this.isBlank(this.pos + 1)) {
          this.pos++;
          value = this.afterIndicator(indent, true);
        } else value = null;
      } else {
        if (entry === undefined) entry = this.blockKey();
        key = entry.key;
        at = entry.at;
        this.skipSpaces();
        this.pos++; // the ':'
        value = this.afterIndicator(indent, true);
      }
      entry = undefined;
      if (isScalar(key) && !key.quoted && key.text === '<<') merges.push({ value, at });
      else setOwn(out, this.keyString(key, at), value);
      this.skipToContent();
      if (this.pos >= this.src.length || this.column() < indent || this.atDocumentMarker()) break;
      if (this.column() > indent) this.fail('did not find expected key');
      if (this.src[this.pos] === '-' && this.isBlank(this.pos + 1)) this.fail('did not find expected key');
    }
    this.leave();
    return merges.length === 0 ? out : this.merged(out, merges);
  }

  /** A key in a block mapping, up to its ':'. */
  private blockKey(): { key: Scalar | Value; at: number } {
    const at = this.pos;
    const props = this.properties();
    const ch = this.src[this.pos];
    let key: Scalar | Value;
    if (ch === '*') key = this.alias();
    else if (ch === '[' || ch === '{') key = this.flowCollection();
    else if (ch === '"' || ch === "'") key = this.quoted(-1);
    else key = new Scalar(this.plainLine(false), false);
    if (props.tag !== undefined && isScalar(key)) key = this.finish(props, key);
    this.skipSpaces();
    if (!this.atMappingColon()) this.fail(this.atLineEnd() ? "could not find expected ':'" : 'did not find expected key');
    return { key, at };
  }

  /**
   * The node after a `-` or a `:` of a block collection at column `indent`: on the same line, on
   * the lines below (more indented, or for a mapping's value a sequence at the same column), or
   * nothing (null).
   */
  private afterIndicator(indent: number, mappingValue: boolean): Value {
    this.skipSpaces();
    if (!this.atLineEnd()) return this.node(indent, mappingValue);
    this.skipToContent();
    if (this.pos >= this.src.length || this.atDocumentMarker()) return null;
    const c = this.column();
    if (c > indent) return this.node(indent, false);
    if (mappingValue && c === indent && this.src[this.pos] === '-' && this.isBlank(this.pos + 1)) return this.blockSequence(indent, true);
    return null;
  }

  /**
   * `<<` merge keys: the keys of the merged mappings that the mapping does not set itself. As in
   * Terraform, only a mapping merges (a list of mappings, which YAML also allows, is an error).
   */
  private merged(out: Record<string, Value>, merges: readonly { value: Value; at: number }[]): Value {
    const result: Record<string, Value> = {};
    for (const { value: m, at } of merges) {
      if (m === null || typeof m !== 'object' || Array.isArray(m)) {
        const kind = Array.isArray(m) ? 'tuple' : m === null ? 'null' : typeof m === 'bigint' ? 'number' : typeof m === 'boolean' ? 'bool' : typeof m;
        this.fail(`cannot merge ${kind} into mapping`, at);
      }
      for (const [k, v] of Object.entries(m)) if (!Object.hasOwn(result, k)) setOwn(result, k, v);
    }
    for (const [k, v] of Object.entries(out)) setOwn(result, k, v);
    return result;
  }

  // ---- scalars ---------------------------------------------------------------------------

  /** One line of a plain scalar from `pos`, up to a `: `, a ` #` comment or the line's end; trimmed. */
  private plainLine(flow: boolean): string {
    const ch = this.src[this.pos];
    if (ch === '@' || ch === '`' || ch === '\t' || ch === '%') this.fail('found character that cannot start any token');
    const start = this.pos;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === '\n') break;
      if (c === '#' && this.pos > start && (this.src[this.pos - 1] === ' ' || this.src[this.pos - 1] === '\t')) break;
      if (c === ':' && (this.isBlank(this.pos + 1) || (flow && FLOW_INDICATORS.includes(this.src[this.pos + 1] ?? '')))) break;
      if (flow && FLOW_INDICATORS.includes(c)) break;
      this.pos++;
    }
    let end = this.pos;
    while (end > start && (this.src[end - 1] === ' ' || this.src[end - 1] === '\t')) end--;
    const text = this.src.slice(start, end);
    this.pos = end;
    return text;
  }

  /** A block plain scalar's further lines (more indented than `parentIndent`), folded onto `first`. */
  private plainContinuation(first: string, parentIndent: number): string {
    let text = first;
    for (;;) {
      this.skipSpaces();
      if (this.src[this.pos] === '#' || this.pos >= this.src.length || this.src[this.pos] !== '\n') return text;
      // Look ahead: blank lines, then a line indented deeper than the parent.
      let p = this.pos;
      let breaks = 0;
      let lineStart = p;
      for (;;) {
        if (this.src[p] !== '\n') break;
        p++;
        breaks++;
        lineStart = p;
        while (this.src[p] === ' ') p++;
        if (this.src[p] !== '\n') break;
      }
      const c = p - lineStart;
      if (p >= this.src.length || c <= parentIndent || this.src[p] === '#' || (c === 0 && this.isDocumentMarkerAt(p))) return text;
      this.pos = p;
      const more = this.plainLine(false);
      if (this.atMappingColon()) this.fail('mapping values are not allowed in this context');
      text += breaks === 1 ? ` ${more}` : '\n'.repeat(breaks - 1) + more;
    }
  }

  /** A single- or double-quoted scalar, its line breaks folded. */
  private quoted(parentIndent: number): Scalar {
    const quote = this.src[this.pos];
    const start = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= this.src.length) this.fail('found unexpected end of stream', start);
      const c = this.src[this.pos];
      if (quote === "'" && c === "'") {
        if (this.src[this.pos + 1] === "'") {
          out += "'";
          this.pos += 2;
          continue;
        }
        this.pos++;
        break;
      }
      if (quote === '"' && c === '"') {
        this.pos++;
        break;
      }
      if (quote === '"' && c === '\\') {
        const e = this.src[this.pos + 1];
        if (e === '\n') {
          // An escaped line break joins the lines with nothing between them.
          this.pos += 2;
          while (this.src[this.pos] === ' ' || this.src[this.pos] === '\t') this.pos++;
          continue;
        }
        if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
          out += ESCAPES[e];
          this.pos += 2;
          continue;
        }
        const n = e === undefined ? undefined : HEX_ESCAPE_LENGTH[e];
        const hex = n === undefined ? '' : this.src.slice(this.pos + 2, this.pos + 2 + n);
        if (n === undefined || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) this.fail('found unknown escape character');
        const code = parseInt(hex, 16);
        if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) this.fail('found invalid Unicode character escape code');
        out += String.fromCodePoint(code);
        this.pos += 2 + n;
        continue;
      }
      if (c === '\n') {
        out = out.replace(/[ \t]+$/, '');
        let breaks = 0;
        while (this.src[this.pos] === '\n') {
          this.pos++;
          breaks++;
          while (this.src[this.pos] === ' ' || this.src[this.pos] === '\t') this.pos++;
        }
        if (this.column() <= parentIndent && this.pos < this.src.length) this.fail('found a quoted scalar line indented too little');
        out += breaks === 1 ? ' ' : '\n'.repeat(breaks - 1);
        continue;
      }
      out += c;
      this.pos++;
    }
    return new Scalar(out, true);
  }

  /** A literal (`|`) or folded (`>`) block scalar; `parentIndent` is its parent node's column. */
  private blockScalar(parentIndent: number): string {
    const folded = this.src[this.pos] === '>';
    this.pos++;
    let chomp: '' | '+' | '-' = '';
    let explicit = 0;
    for (let i = 0; i < 2; i++) {
      const c = this.src[this.pos];
      if ((c === '+' || c === '-') && chomp === '') {
        chomp = c;
        this.pos++;
      } else if (c !== undefined && c >= '1' && c <= '9' && explicit === 0) {
        explicit = Number(c);
        this.pos++;
      }
    }
    this.skipSpaces();
    if (!this.atLineEnd()) this.fail('did not find expected comment or line break');
    while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
    if (this.pos < this.src.length) this.pos++;

    const base = Math.max(parentIndent, 0);
    let indent = explicit > 0 ? base + explicit : -1;
    if (indent < 0) {
      // The first line with content sets the indentation.
      let p = this.pos;
      while (p < this.src.length) {
        let s = 0;
        while (this.src[p + s] === ' ') s++;
        if (this.src[p + s] !== '\n' && p + s < this.src.length) {
          indent = s;
          break;
        }
        p += s + 1;
      }
      if (indent <= parentIndent) indent = parentIndent + 1;
    }
    const lines: string[] = [];
    let terminated = false;
    while (this.pos < this.src.length) {
      const lineStart = this.pos;
      let s = 0;
      while (this.src[lineStart + s] === ' ') s++;
      const eol = this.src.indexOf('\n', lineStart);
      const end = eol < 0 ? this.src.length : eol;
      const blank = lineStart + s === end;
      if (!blank && s < indent) break;
      if (!blank && s === 0 && this.isDocumentMarkerAt(lineStart)) break;
      lines.push(blank ? this.src.slice(lineStart + Math.min(s, indent), end) : this.src.slice(lineStart + indent, end));
      terminated = eol >= 0;
      this.pos = eol < 0 ? end : end + 1;
    }
    let trailing = 0;
    while (trailing < lines.length && lines[lines.length - 1 - trailing] === '') trailing++;
    const content = lines.slice(0, lines.length - trailing);
    if (content.length === 0) {
      return chomp === '+' ? '\n'.repeat(trailing) : '';
    }
    const lastTerminated = trailing > 0 || terminated;
    let body = folded ? fold(content) : content.join('\n');
    if (chomp === '+') body += (lastTerminated ? '\n' : '') + '\n'.repeat(trailing);
    else if (chomp === '') body += lastTerminated ? '\n' : '';
    return body;
  }

  // ---- flow collections ------------------------------------------------------------------

  private flowCollection(): Value {
    const open = this.src[this.pos];
    const close = open === '[' ? ']' : '}';
    this.enter();
    this.pos++;
    const list: Value[] = [];
    const obj: Record<string, Value> = {};
    for (;;) {
      this.skipFlowSpace();
      if (this.pos >= this.src.length) this.fail(`did not find expected ',' or '${close}'`);
      if (this.src[this.pos] === close) {
        this.pos++;
        break;
      }
      const at = this.pos;
      const item = this.flowNode();
      this.skipFlowSpace();
      let value: Value | undefined;
      if (this.src[this.pos] === ':') {
        this.pos++;
        this.skipFlowSpace();
        value = this.src[this.pos] === ',' || this.src[this.pos] === close ? null : this.resolved(this.flowNode());
        this.skipFlowSpace();
      }
      if (open === '{') setOwn(obj, this.keyString(item, at), value ?? null);
      else if (value !== undefined) {
        const pair: Record<string, Value> = {};
        setOwn(pair, this.keyString(item, at), value);
        list.push(pair);
      } else list.push(this.resolved(item));
      if (this.src[this.pos] === ',') {
        this.pos++;
        continue;
      }
      if (this.src[this.pos] !== close) this.fail(`did not find expected ',' or '${close}'`);
    }
    this.leave();
    return open === '[' ? list : obj;
  }

  /** A node inside a flow collection; scalars come back unresolved (a key is read as written). */
  private flowNode(): Scalar | Value {
    const props = this.properties();
    if (props.anchor === undefined && props.tag === undefined) return this.flowContent();
    return this.withProperties(props, () => {
      const v = this.flowContent();
      return isScalar(v) ? this.finish(props, v) : v;
    });
  }

  private flowContent(): Scalar | Value {
    const ch = this.src[this.pos];
    if (ch === '[' || ch === '{') return this.flowCollection();
    if (ch === '"' || ch === "'") return this.quoted(-1);
    if (ch === '*') return this.alias();
    return new Scalar(this.plainLine(true), false);
  }

  // ---- properties, aliases, resolution ---------------------------------------------------

  private properties(): Properties {
    const props: Properties = {};
    for (;;) {
      const ch = this.src[this.pos];
      if (ch === '&') {
        this.pos++;
        props.anchor = this.name();
      } else if (ch === '!') props.tag = this.tag();
      else return props;
      this.skipSpaces();
    }
  }

  /** Parses the node with `props`'s anchor defined while inside it (an alias to it there is an error). */
  private withProperties(props: Properties, parse: () => Value): Value {
    const anchor = props.anchor;
    if (anchor === undefined) return this.checkCollectionTag(props, parse());
    this.defining.add(anchor);
    const before = this.values;
    const value = this.checkCollectionTag(props, parse());
    this.defining.delete(anchor);
    this.anchors.set(anchor, { value, size: this.values - before + 1 });
    props.anchor = undefined;
    return value;
  }

  private checkCollectionTag(props: Properties, v: Value): Value {
    const tag = props.tag;
    if (tag === undefined) return v;
    if (tag === `${TAG_PREFIX}map` && (v === null || typeof v !== 'object' || Array.isArray(v))) throw new YamlError(`cannot decode this value as ${tag}`);
    if (tag === `${TAG_PREFIX}seq` && !Array.isArray(v)) throw new YamlError(`cannot decode this value as ${tag}`);
    return v;
  }

  private alias(): Value {
    const at = this.pos;
    this.pos++;
    const name = this.name();
    if (this.defining.has(name)) throw new YamlError(`cannot refer to anchor "${name}" from inside its own definition`);
    const a = this.anchors.get(name);
    if (a === undefined) this.fail(`reference to undefined anchor "${name}"`, at);
    this.count(a.size);
    return a.value;
  }

  private name(): string {
    const start = this.pos;
    while (this.pos < this.src.length && !/[\s,[\]{}]/.test(this.src[this.pos])) this.pos++;
    if (this.pos === start) this.fail('did not find expected alphabetic or numeric character');
    return this.src.slice(start, this.pos);
  }

  /** A `!tag`, in its long form (`!!int` is `tag:yaml.org,2002:int`); unsupported tags are errors. */
  private tag(): string {
    const start = this.pos;
    let tag: string;
    if (this.src.startsWith('!<', this.pos)) {
      const end = this.src.indexOf('>', this.pos);
      if (end < 0) this.fail("did not find the expected '>'");
      tag = this.src.slice(this.pos + 2, end);
      this.pos = end + 1;
    } else {
      while (this.pos < this.src.length && !/[\s,[\]{}]/.test(this.src[this.pos])) this.pos++;
      const written = this.src.slice(start, this.pos);
      tag = written.startsWith('!!') ? TAG_PREFIX + written.slice(2) : written;
    }
    if (!tag.startsWith(TAG_PREFIX) || !SUPPORTED_TAGS.includes(tag.slice(TAG_PREFIX.length))) {
      throw new YamlError(`unsupported tag ${JSON.stringify(tag.startsWith(TAG_PREFIX) ? `!!${tag.slice(TAG_PREFIX.length)}` : tag)}`);
    }
    return tag;
  }

  /** The value of a scalar with `props` (the tag, when there is one, decides its type). */
  private finish(props: Properties, s: Scalar): Value {
    this.count(1);
    const tag = props.tag;
    if (s.quoted || tag === `${TAG_PREFIX}str`) return s.text;
    if (tag === undefined) return resolvePlain(s.text);
    const kind = tag.slice(TAG_PREFIX.length);
    const cannot = (): never => {
      throw new YamlError(`cannot parse ${JSON.stringify(s.text)} as ${tag}`);
    };
    switch (kind) {
      case 'binary':
        if (!/^[A-Za-z0-9+/\s]*={0,2}$/.test(s.text) || s.text.replace(/\s/g, '').length % 4 !== 0) {
          throw new YamlError(`cannot parse ${JSON.stringify(s.text)} as ${tag}: not valid base64`);
        }
        return s.text;
      case 'bool':
        if (TRUE_WORDS.includes(s.text)) return true;
        if (FALSE_WORDS.includes(s.text)) return false;
        return cannot();
      case 'null':
        return null;
      case 'timestamp':
        return parseTimestamp(s.text) ?? cannot();
      case 'int':
      case 'float': {
        const n = resolveNumber(s.text, true);
        return n ?? cannot();
      }
      default:
        return cannot();
    }
  }

  /** A flow item as a value (a plain scalar resolved). */
  private resolved(v: Scalar | Value): Value {
    return isScalar(v) ? this.finish({}, v) : v;
  }

  /** A mapping key as the string it becomes (Terraform's objects have string keys). */
  private keyString(key: Scalar | Value, at: number): string {
    const v = isScalar(key) ? this.finish({}, key) : key;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'bigint') return numberToString(v);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (v === null) this.fail('mapping key cannot be null', at);
    return this.fail('only strings are allowed as mapping keys', at);
  }

  // ---- positions and whitespace ----------------------------------------------------------

  private enter(): void {
    if (++this.depth > MAX_YAML_DEPTH) this.fail(`the document is nested more than ${MAX_YAML_DEPTH} levels deep`);
  }

  private leave(): void {
    this.depth--;
  }

  private count(n: number): void {
    this.values += n;
    if (this.values > MAX_YAML_VALUES) throw new YamlError(`the document expands to more than ${MAX_YAML_VALUES} values (through aliases)`);
  }

  private fail(message: string, at = this.pos): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.src.length; i++) {
      if (this.src[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    throw new YamlError(`on line ${line}, column ${at - lineStart + 1}: ${message}`);
  }

  private lineStartOf(p: number): number {
    return this.src.lastIndexOf('\n', p - 1) + 1;
  }

  private column(): number {
    return this.columnOf(this.pos);
  }

  private columnOf(p: number): number {
    return p - this.lineStartOf(p);
  }

  /** True at a space, tab, line break or the end. */
  private isBlank(p: number): boolean {
    const c = this.src[p];
    return c === undefined || c === ' ' || c === '\t' || c === '\n';
  }

  private atLineEnd(): boolean {
    const c = this.src[this.pos];
    return c === undefined || c === '\n' || c === '#';
  }

  /** At a `:` that ends a mapping key. */
  private atMappingColon(): boolean {
    return this.src[this.pos] === ':' && this.isBlank(this.pos + 1);
  }

  private atMarker(marker: '---' | '...'): boolean {
    return this.column() === 0 && this.src.startsWith(marker, this.pos) && this.isBlank(this.pos + 3);
  }

  private atDocumentMarker(): boolean {
    return this.atMarker('---') || this.atMarker('...');
  }

  private isDocumentMarkerAt(p: number): boolean {
    return (this.src.startsWith('---', p) || this.src.startsWith('...', p)) && this.isBlank(p + 3);
  }

  private skipSpaces(): void {
    while (this.src[this.pos] === ' ' || this.src[this.pos] === '\t') this.pos++;
  }

  /** Skips spaces, comments and line breaks up to the next content; a tab in indentation is an error. */
  private skipToContent(): void {
    for (;;) {
      const lineStart = this.column() === 0;
      while (this.src[this.pos] === ' ') this.pos++;
      if (this.src[this.pos] === '\t') {
        const p = this.pos;
        this.skipSpaces();
        if (lineStart && !this.atLineEnd()) this.fail('found character that cannot start any token', p);
      }
      if (this.src[this.pos] === '#') while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
      if (this.src[this.pos] !== '\n') return;
      this.pos++;
    }
  }

  /** Inside a flow collection: spaces, tabs, line breaks and comments. */
  private skipFlowSpace(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t' || c === '\n') this.pos++;
      else if (c === '#') while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
      else return;
    }
  }
}

function isScalar(v: Scalar | Value): v is Scalar {
  return v instanceof Scalar;
}

function setOwn(obj: Record<string, Value>, key: string, value: Value): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A folded block scalar's lines joined: single breaks between plain lines become spaces. */
function fold(lines: readonly string[]): string {
  let out = '';
  let empty = 0;
  let started = false;
  let previousMore = false;
  for (const line of lines) {
    if (line === '') {
      empty++;
      continue;
    }
    const more = line.startsWith(' ') || line.startsWith('\t');
    if (!started) out += '\n'.repeat(empty) + line;
    else if (empty === 0) out += (previousMore || more ? '\n' : ' ') + line;
    else out += (previousMore || more ? '\n' : '') + '\n'.repeat(empty) + line;
    started = true;
    previousMore = more;
    empty = 0;
  }
  return out;
}

/** An untagged plain scalar's value, as Terraform resolves it. */
function resolvePlain(text: string): Value {
  if (TRUE_WORDS.includes(text)) return true;
  if (FALSE_WORDS.includes(text)) return false;
  if (NULL_WORDS.includes(text)) return null;
  if (INFINITIES.includes(text)) throw new YamlError('infinity is not supported (numbers here are finite)');
  if (NANS.includes(text)) throw new YamlError('floating point NaN is not supported');
  if (!/^[-+.0-9]/.test(text)) return text;
  return parseTimestamp(text) ?? resolveNumber(text, false) ?? text;
}

/**
 * A number written in YAML: decimal (with an optional `+`), `0x` hex or `0o` octal (as Terraform
 * reads them untagged); with an `!!int` or `!!float` tag also `0b` binary and signed prefixes.
 */
function resolveNumber(text: string, tagged: boolean): number | bigint | undefined {
  const unsigned = text.startsWith('+') ? text.slice(1) : text;
  const n = parseNumber(unsigned);
  if (n !== undefined) return n;
  if (beyondRange(unsigned)) throw new YamlError(`the number ${text} ${BEYOND_RANGE}`);
  const m = (tagged ? /^([-+]?)0([xob])([0-9a-fA-F]+)$/ : /^()0([xo])([0-9a-fA-F]+)$/).exec(text);
  if (m === null) return undefined;
  const [, sign, base, digits] = m;
  const valid = base === 'x' ? /^[0-9a-fA-F]+$/ : base === 'o' ? /^[0-7]+$/ : /^[01]+$/;
  if (!valid.test(digits)) return undefined;
  const whole = BigInt(`0${base}${digits}`);
  return parseNumber(String(sign === '-' ? -whole : whole));
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A YAML timestamp (`2001-12-14`, `2001-12-14t21:59:43.10-05:00`, `2001-12-14 21:59:43.10`) in RFC 3339, or undefined. */
function parseTimestamp(text: string): string | undefined {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:([Tt])|( ))(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(text);
  if (m === null) return undefined;
  const [, year, month, day, t, space, hour = '0', minute = '0', second = '0', zone] = m;
  if (t !== undefined && zone === undefined) return undefined;
  if (space !== undefined && zone !== undefined) return undefined;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  if (mo < 1 || mo > 12 || d < 1 || d > DAYS_IN_MONTH[mo - 1]) return undefined;
  if (mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return undefined;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
  const two = (s: string) => s.padStart(2, '0');
  const offset = zone === undefined || zone === 'Z' || zone === '+00:00' || zone === '-00:00' ? 'Z' : zone;
  return `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}${offset}`;
}
