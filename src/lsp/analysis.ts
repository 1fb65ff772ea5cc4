/**
 * What the language server knows about a configuration, computed from the texts of its files
 * (saved or not) without the editor protocol: diagnostics (those `infra validate` gives),
 * declarations and where a reference points, hover text from the provider schemas, and
 * completions. Positions here are 0-based line and UTF-16 character, as the protocol counts.
 */
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Diagnostic, SourceRange } from '../diagnostics.js';
import type { Block, Body } from '../parser/ast.js';
import { parseFile } from '../parser/index.js';
import { allDataSourceNames, allTypeNames, providerForDataSource, providerForType } from '../providers/registry.js';
import type { AttributeSchema, ResourceTypeSchema } from '../providers/contract.js';
import type { Io } from '../commands/io.js';

/** A 0-based position. */
export interface Position {
  readonly line: number;
  readonly character: number;
}

/** A 0-based range in one file, end exclusive. */
export interface Span {
  readonly file: string;
  readonly start: Position;
  readonly end: Position;
}

/** A declared name a reference can point to. */
export interface Declaration {
  readonly kind: 'variable' | 'local' | 'resource' | 'output';
  /** `var.NAME`, `local.NAME`, `TYPE.NAME`, `output.NAME`. */
  readonly address: string;
  readonly span: Span;
  /** For variables: their `description`, when it is a plain string. */
  readonly description?: string;
}

/** A completion item. */
export interface Completion {
  readonly label: string;
  readonly kind: 'resourceType' | 'attribute' | 'variable' | 'local';
  readonly detail?: string;
}

function span(file: string, r: { start: { line: number; column: number }; end: { line: number; column: number } }): Span {
  return { file, start: { line: r.start.line - 1, character: r.start.column - 1 }, end: { line: r.end.line - 1, character: r.end.column - 1 } };
}

function plainString(expr: unknown): string | undefined {
  const e = expr as { kind?: string; parts?: { kind: string; value?: string }[] };
  if (e.kind === 'Template' && e.parts?.length === 1 && e.parts[0].kind === 'Text') return e.parts[0].value;
  if (e.kind === 'Template' && e.parts?.length === 0) return '';
  return undefined;
}

/** Every variable, local, resource and output declared in the files (path -> text). */
export function declarations(files: ReadonlyMap<string, string>): Declaration[] {
  const out: Declaration[] = [];
  for (const [file, text] of files) {
    const { file: ast } = parseFile(file, text);
    for (const item of ast.body.items) {
      if (item.kind !== 'Block') continue;
      const labels = item.labels.map((l) => l.value);
      if (item.type === 'variable' && labels.length === 1) {
        const description = item.body?.items.find((a) => a.kind === 'Attribute' && a.name === 'description');
        const text = description?.kind === 'Attribute' ? plainString(description.expr) : undefined;
        out.push({ kind: 'variable', address: `var.${labels[0]}`, span: span(file, item.range), ...(text !== undefined ? { description: text } : {}) });
      } else if (item.type === 'locals' && item.body !== null) {
        for (const a of item.body.items) if (a.kind === 'Attribute') out.push({ kind: 'local', address: `local.${a.name}`, span: span(file, a.nameRange) });
      } else if (item.type === 'resource' && labels.length === 2) {
        out.push({ kind: 'resource', address: `${labels[0]}.${labels[1]}`, span: span(file, item.range) });
      } else if (item.type === 'output' && labels.length === 1) {
        out.push({ kind: 'output', address: `output.${labels[0]}`, span: span(file, item.range) });
      }
    }
  }
  return out;
}

const NAME = /[A-Za-z_][A-Za-z0-9_-]*/y;

/** The `ROOT.NAME` reference under the position on a line of text, if any. */
export function referenceAt(lineText: string, character: number): string | undefined {
  const re = /([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)/g;
  for (let m = re.exec(lineText); m !== null; m = re.exec(lineText)) {
    const before = m.index === 0 ? '' : lineText[m.index - 1];
    if (before === '.' || /[A-Za-z0-9_-]/.test(before)) continue;
    if (character >= m.index && character <= m.index + m[0].length) return `${m[1]}.${m[2]}`;
  }
  return undefined;
}

/** Where the reference under the position is declared. */
export function definition(files: ReadonlyMap<string, string>, file: string, position: Position): Declaration | undefined {
  const lineText = (files.get(file) ?? '').split('\n')[position.line] ?? '';
  const ref = referenceAt(lineText, position.character);
  if (ref === undefined) return undefined;
  return declarations(files).find((d) => d.address === ref);
}

/** The innermost resource or data block around the position, and the nested block path inside it. */
function enclosingResource(body: Body, position: Position): { block: Block; path: string[] } | undefined {
  const inside = (b: Block): boolean => {
    const start = b.range.start.line - 1;
    const end = b.range.end.line - 1;
    return position.line > start && position.line <= end;
  };
  for (const item of body.items) {
    if (item.kind !== 'Block' || (item.type !== 'resource' && item.type !== 'data') || item.body === null || !inside(item)) continue;
    const path: string[] = [];
    let current: Body = item.body;
    for (;;) {
      const nested = current.items.find((n): n is Block => n.kind === 'Block' && n.body !== null && inside(n));
      if (nested === undefined || nested.body === null) break;
      path.push(nested.type);
      current = nested.body;
    }
    return { block: item, path };
  }
  return undefined;
}

function attributesAt(schema: Pick<ResourceTypeSchema, 'attributes' | 'blocks'>, path: readonly string[]): Readonly<Record<string, AttributeSchema>> | undefined {
  let attributes: Readonly<Record<string, AttributeSchema>> = schema.attributes;
  let blocks = schema.blocks;
  for (const name of path) {
    const b = blocks?.[name];
    if (b === undefined) return undefined;
    attributes = b.attributes;
    blocks = b.blocks;
  }
  return attributes;
}

function schemaOf(typeName: string): ResourceTypeSchema | undefined {
  return providerForType(typeName)?.types[typeName];
}

/** Hover text (Markdown) for the position: a schema attribute, a resource type, a variable. */
export function hover(files: ReadonlyMap<string, string>, file: string, position: Position): string | undefined {
  const text = files.get(file) ?? '';
  const lineText = text.split('\n')[position.line] ?? '';
  const ref = referenceAt(lineText, position.character);
  if (ref !== undefined) {
    const d = declarations(files).find((x) => x.address === ref);
    if (d?.kind === 'variable') return `**${d.address}**${d.description ? `\n\n${d.description}` : ''}`;
  }
  const word = wordAt(lineText, position.character);
  if (word === undefined) return undefined;
  const typeSchema = schemaOf(word);
  if (typeSchema !== undefined && new RegExp(`"${word}"`).test(lineText)) return `**${word}**\n\n${typeSchema.description}`;
  const { file: ast } = parseFile(file, text);
  const around = enclosingResource(ast.body, position);
  if (around === undefined || !new RegExp(`^\\s*${word}\\s*=`).test(lineText)) return undefined;
  const schema = schemaOf(around.block.labels[0]?.value ?? '');
  const attribute = schema === undefined ? undefined : attributesAt(schema, around.path)?.[word];
  if (attribute === undefined) return undefined;
  const flags = [attribute.required ? 'required' : attribute.computed && !attribute.optional ? 'computed' : 'optional', attribute.forcesReplacement ? 'forces replacement' : '', attribute.sensitive ? 'sensitive' : '']
    .filter((f) => f !== '')
    .join(', ');
  return `**${word}** (${flags})\n\n${attribute.description}`;
}

function wordAt(lineText: string, character: number): string | undefined {
  for (let i = 0; i < lineText.length; ) {
    NAME.lastIndex = i;
    const m = NAME.exec(lineText);
    if (m === null) {
      i++;
      continue;
    }
    if (character >= i && character <= i + m[0].length) return m[0];
    i += m[0].length;
  }
  return undefined;
}

/** Completions at the position: `var.`/`local.` names, resource and data source types, a resource's attributes. */
export function completions(files: ReadonlyMap<string, string>, file: string, position: Position): Completion[] {
  const text = files.get(file) ?? '';
  const lineText = text.split('\n')[position.line] ?? '';
  const before = lineText.slice(0, position.character);
  const root = /\b(var|local)\.([A-Za-z0-9_-]*)$/.exec(before);
  if (root !== null) {
    const kind = root[1] === 'var' ? 'variable' : 'local';
    return declarations(files)
      .filter((d) => d.kind === kind)
      .map((d) => ({ label: d.address.slice(root[1].length + 1), kind, ...(d.description ? { detail: d.description } : {}) }));
  }
  if (/^\s*data\s+"[A-Za-z0-9_]*$/.test(before)) {
    return allDataSourceNames().map((t) => ({ label: t, kind: 'resourceType' as const, detail: providerForDataSource(t)?.dataSources?.[t]?.description ?? '' }));
  }
  if (/^\s*resource\s+"[A-Za-z0-9_]*$/.test(before)) {
    return allTypeNames().map((t) => ({ label: t, kind: 'resourceType' as const, detail: schemaOf(t)?.description ?? '' }));
  }
  if (/^\s*[A-Za-z_]*$/.test(before)) {
    // Parse what is there; an unfinished line may not parse, so blank it out first.
    const lines = text.split('\n');
    lines[position.line] = '';
    const { file: ast } = parseFile(file, lines.join('\n'));
    const around = enclosingResource(ast.body, position);
    const typeName = around?.block.labels[0]?.value ?? '';
    const schema = around === undefined ? undefined : around.block.type === 'data' ? providerForDataSource(typeName)?.dataSources?.[typeName] : schemaOf(typeName);
    const attributes = schema === undefined || around === undefined ? undefined : attributesAt(schema, around.path);
    if (attributes === undefined) return [];
    return Object.entries(attributes)
      .filter(([, a]) => !(a.computed === true && a.optional !== true))
      .map(([name, a]) => ({ label: name, kind: 'attribute' as const, detail: a.description }));
  }
  return [];
}

/**
 * The diagnostics `infra validate` gives for the configuration in `dir`, with `files` (base
 * name -> text, unsaved edits included) in place of what is on disk. Runs validate on a copy in a
 * temporary directory; the ranges name the files by base name. The folders of `dir` are linked
 * into the copy, so the modules it calls (`source = "./modules/NAME"`) are found; diagnostics in
 * those modules' files are left out (they belong to other documents).
 */
export async function validateTexts(files: ReadonlyMap<string, string>, dir?: string): Promise<Diagnostic[]> {
  const work = mkdtempSync(join(tmpdir(), 'infra-lsp-'));
  try {
    for (const [name, text] of files) writeFileSync(join(work, basename(name)), text);
    if (dir !== undefined) {
      for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) symlinkSync(join(dir, entry.name), join(work, entry.name), 'dir');
    }
    let out = '';
    const io: Io = { cwd: work, env: {}, out: (t) => void (out += t), err: () => undefined, color: false, errColor: false, sources: new Map() };
    const { validateCommand } = await import('../commands/misc.js');
    await validateCommand({ json: true }, io);
    const parsed = JSON.parse(out) as { diagnostics: { severity: Diagnostic['severity']; summary: string; detail: string | null; range: SourceRange | null }[] };
    return parsed.diagnostics.filter((d) => d.range === null || !d.range.file.includes('/')).map((d) => ({
      severity: d.severity,
      summary: d.summary,
      ...(d.detail !== null ? { detail: d.detail } : {}),
      ...(d.range !== null ? { range: { ...d.range, file: basename(d.range.file) } } : {}),
    }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
