/**
 * Loading a configuration: every `*.infra` file of a directory (or one file) is parsed, and the
 * top-level blocks are decoded into declarations (types.ts). Decoding checks structure only -
 * block types, labels, known arguments, duplicates, literal settings; expressions stay
 * unevaluated for the evaluator and the graph.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { type Diagnostic, type SourceRange, didYouMean, error, hasErrors } from '../diagnostics.js';
import { parseFile } from '../parser/index.js';
import type { Attribute, Block, Body, Expr, GetAttrExpr, IndexExpr } from '../parser/ast.js';
import { evaluateLiteral } from '../evaluate/evaluate.js';
import { isReferenceRoot, referencesOf } from '../evaluate/references.js';
import type { Type } from '../evaluate/value.js';
import { FileTooLargeError, readTextFileBounded } from './read-text.js';
import { checkImportDecls, checkMoveDecls } from './moves-check.js';
import { typeFromExpr } from './type-expr.js';
import { parseConstraints, parseVersion, satisfies } from './version-constraint.js';
import { INFRA_VERSION } from '../state/version.js';
import { decodeKeepBlue } from './keep-blue.js';
import type { ConditionRule, Config, ImportDecl, ReplaceTrigger, InfraSettings, Lifecycle, LocalDecl, ModuleCallDecl, MoveDecl, OutputDecl, ProviderDecl, ResourceDecl, VariableDecl } from './types.js';

export type { Config, InfraSettings, Lifecycle, LocalDecl, ModuleCallDecl, OutputDecl, ProviderDecl, ResourceDecl, VariableDecl } from './types.js';

/** The file extension of configuration files. */
export const CONFIG_EXTENSION = '.infra';

const TOP_LEVEL = ['variable', 'locals', 'provider', 'resource', 'data', 'output', 'module', 'infra', 'moved', 'removed', 'import'];
/** Arguments Terraform's module blocks take that a local module has no use for. */
const MODULE_UNSUPPORTED = ['version', 'providers'];
const INFRA_BLOCKS = ['backend', 'encryption'];
const VARIABLE_ARGS = ['type', 'default', 'description', 'sensitive', 'nullable'];
const OUTPUT_ARGS = ['value', 'sensitive', 'description'];
const LIFECYCLE_ARGS = ['prevent_destroy', 'ignore_changes', 'create_before_destroy', 'replace_triggered_by'];
const LIFECYCLE_KINDS = ['blue_green'];
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const LITERAL = 'This setting must be a literal value: it is read before anything is evaluated.';

/**
 * Loads the configuration at `pathOrDir` (relative to `opts.cwd`): all `*.infra` files of a
 * directory, sorted by name, or a single file. `config` is null when nothing could be read or a
 * file has syntax errors; otherwise it holds every declaration that decoded, and the
 * diagnostics say what did not - callers that need a valid configuration check
 * `hasErrors(diagnostics)`. File paths in ranges are relative to `opts.cwd`. `files` holds every
 * file read (also when `config` is null), for printing source excerpts with the diagnostics.
 */
export function loadConfig(
  pathOrDir: string,
  opts: { cwd: string },
): { config: Config | null; diagnostics: Diagnostic[]; files: ReadonlyMap<string, string> } {
  return loadModule(pathOrDir, opts.cwd, []);
}

/** loadConfig for the module at `pathOrDir`; `calling` holds the directories of the modules calling it (for cycles). */
function loadModule(
  pathOrDir: string,
  cwd: string,
  calling: readonly string[],
): { config: Config | null; diagnostics: Diagnostic[]; files: Map<string, string> } {
  const opts = { cwd };
  const diagnostics: Diagnostic[] = [];
  const target = resolve(opts.cwd, pathOrDir);
  let dir: string;
  let names: string[];
  try {
    if (statSync(target).isDirectory()) {
      dir = target;
      names = readdirSync(target)
        .filter((n) => n.endsWith(CONFIG_EXTENSION) && isFile(join(target, n)))
        .sort();
      if (names.length === 0) {
        diagnostics.push(
          error(`No configuration files in "${pathOrDir}"`, `A configuration is the set of *${CONFIG_EXTENSION} files in a directory; this one has none.`),
        );
        return { config: null, diagnostics, files: new Map() };
      }
    } else {
      dir = dirname(target);
      names = [basename(target)];
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    diagnostics.push(error(code === 'ENOENT' ? `Configuration path "${pathOrDir}" does not exist` : `Cannot read configuration path "${pathOrDir}": ${code ?? String(e)}`));
    return { config: null, diagnostics, files: new Map() };
  }

  const files = new Map<string, string>();
  const parsed: Body[] = [];
  const hash = createHash('sha256');
  for (const name of names) {
    const abs = join(dir, name);
    const shown = relative(opts.cwd, abs) || name;
    let source: string;
    try {
      source = readTextFileBounded(abs);
    } catch (e) {
      const why = e instanceof FileTooLargeError ? e.message : ((e as NodeJS.ErrnoException).code ?? String(e));
      diagnostics.push(error(`Cannot read "${shown}": ${why}`));
      continue;
    }
    files.set(shown, source);
    hash.update(name).update('\0').update(source).update('\0');
    const r = parseFile(shown, source);
    for (const d of r.diagnostics) diagnostics.push(d);
    parsed.push(r.file.body);
  }
  if (hasErrors(diagnostics)) return { config: null, diagnostics, files };

  const decodeDiags: Diagnostic[] = [];
  const decoder = new Decoder(decodeDiags, calling.length > 0);
  for (const body of parsed) decoder.file(body);
  decodeDiags.push(...checkMoveDecls(decoder.moves, decoder.resources));
  const modules = new Map<string, ModuleCallDecl>();
  for (const call of decoder.moduleCalls) {
    const child = loadCall(call, dir, cwd, [...calling, dir], decodeDiags);
    if (child === null) continue;
    for (const [f, text] of child.files) files.set(f, text);
    hash.update('module ').update(call.name).update('\0').update(child.hash).update('\0');
    checkModuleArguments(call, child, decodeDiags);
    modules.set(call.name, { ...call, config: child });
  }
  decodeDiags.push(...checkImportDecls(decoder.imports, decoder.resources, modules));
  // In file order, then by position: the order a reader meets the mistakes in.
  const fileIndex = new Map([...files.keys()].map((f, i) => [f, i]));
  const position = (d: Diagnostic): number => (fileIndex.get(d.range?.file ?? '') ?? files.size) * 2 ** 32 + (d.range?.start.offset ?? 0);
  decodeDiags.sort((a, b) => position(a) - position(b));
  for (const d of decodeDiags) diagnostics.push(d);
  return {
    config: {
      dir,
      files,
      hash: hash.digest('hex'),
      variables: decoder.variables,
      locals: decoder.locals,
      providers: decoder.providers,
      resources: decoder.resources,
      ...(decoder.dataSources.length ? { dataSources: decoder.dataSources } : {}),
      outputs: decoder.outputs,
      ...(decoder.settings ? { settings: decoder.settings } : {}),
      ...(decoder.moves.length ? { moves: decoder.moves } : {}),
      ...(decoder.imports.length ? { imports: decoder.imports } : {}),
      ...(modules.size ? { modules } : {}),
    },
    diagnostics,
    files,
  };
}

/** A module call as decoded, before its module is loaded. */
type DecodedCall = Omit<ModuleCallDecl, 'config'> & { readonly sourceRange: SourceRange };

/**
 * Loads the module a call names: a local directory (`./` or `../`), relative to the calling
 * module's directory. Its diagnostics go to `diags`; null when it cannot be used.
 */
function loadCall(call: DecodedCall, dir: string, cwd: string, calling: readonly string[], diags: Diagnostic[]): Config | null {
  if (!call.source.startsWith('./') && !call.source.startsWith('../')) {
    diags.push(
      error(
        `Unsupported module source "${call.source}"`,
        'Only local modules are supported: the source is a directory path starting with ./ or ../, relative to the calling module (source = "./modules/NAME"). Registry, Git and HTTP sources are not.',
        call.sourceRange,
      ),
    );
    return null;
  }
  const childDir = resolve(dir, call.source);
  if (calling.includes(childDir)) {
    diags.push(error(`Module "${call.name}" calls itself`, `${call.source} is already being loaded by a module that calls this one; modules cannot call themselves, directly or through others.`, call.sourceRange));
    return null;
  }
  if (!isDirectory(childDir)) {
    diags.push(error(`Unreadable module directory "${call.source}"`, `The module's source must be a directory of *${CONFIG_EXTENSION} files; ${relative(cwd, childDir) || '.'} is not one.`, call.sourceRange));
    return null;
  }
  const r = loadModule(relative(cwd, childDir) || '.', cwd, calling);
  for (const d of r.diagnostics) diags.push(d);
  return r.config;
}

/** An argument of a module block names one of the module's variables, and every required variable has one. */
function checkModuleArguments(call: DecodedCall, child: Config, diags: Diagnostic[]): void {
  for (const [name, a] of call.args) {
    if (!child.variables.has(name)) {
      diags.push(error('Unsupported argument', `An argument named "${name}" is not expected here.${didYouMean(name, child.variables.keys()) ? ` ${didYouMean(name, child.variables.keys())}` : ''}`, a.nameRange));
    }
  }
  for (const v of child.variables.values()) {
    if (v.default === undefined && !call.args.has(v.name)) {
      diags.push(error('Missing required argument', `The argument "${v.name}" is required, but no definition was found.`, call.headerRange));
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function at(r: SourceRange): string {
  return `${r.file}:${r.start.line}`;
}

/** The block's first line: its type and labels, where messages about the block point. */
function header(b: Block): SourceRange {
  const last = b.labels.length > 0 ? b.labels[b.labels.length - 1].range : b.typeRange;
  return { file: b.typeRange.file, start: b.typeRange.start, end: last.end };
}

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function list(names: readonly string[]): string {
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The lifecycle settings of a resource without a `lifecycle { ... }` block. */
const NO_LIFECYCLE: Omit<Lifecycle, 'blueGreen'> = Object.freeze({ preventDestroy: false, ignoreChanges: Object.freeze([]), createBeforeDestroy: false });

class Decoder {
  readonly variables = new Map<string, VariableDecl>();
  readonly locals = new Map<string, LocalDecl>();
  readonly providers = new Map<string, ProviderDecl>();
  readonly resources: ResourceDecl[] = [];
  readonly dataSources: ResourceDecl[] = [];
  readonly outputs = new Map<string, OutputDecl>();
  settings: InfraSettings | undefined;
  readonly moves: MoveDecl[] = [];
  readonly imports: ImportDecl[] = [];
  readonly moduleCalls: DecodedCall[] = [];
  private readonly resourceByAddress = new Map<string, ResourceDecl>();

  /** `inModule`: decoding a called module, whose provider, infra, moved, removed and import blocks belong in the root. */
  constructor(
    private readonly diags: Diagnostic[],
    private readonly inModule = false,
  ) {}

  private fail(summary: string, detail: string | undefined, range: SourceRange): void {
    this.diags.push(error(summary, detail, range));
  }

  file(body: Body): void {
    for (const item of body.items) {
      if (item.kind === 'Attribute') {
        this.fail(
          `Unexpected argument "${item.name}" at the top level`,
          'The top level of a configuration holds only blocks: variable, locals, provider, resource, data, output, module, infra, moved, removed and import. Put values in a locals block.',
          item.nameRange,
        );
        continue;
      }
      if (this.inModule && ['provider', 'infra', 'moved', 'removed', 'import'].includes(item.type)) {
        this.fail(
          `${capitalize(item.type)} block not allowed in a module`,
          item.type === 'provider'
            ? 'Modules use the provider configurations of the root module; move this provider block to the root module.'
            : `${capitalize(article(item.type))} block belongs in the root module.`,
          item.typeRange,
        );
        continue;
      }
      switch (item.type) {
        case 'module':
          this.moduleCall(item);
          break;
        case 'variable':
          this.variable(item);
          break;
        case 'locals':
          this.localsBlock(item);
          break;
        case 'provider':
          this.provider(item);
          break;
        case 'resource':
          this.resource(item);
          break;
        case 'data':
          this.resource(item, 'data');
          break;
        case 'output':
          this.output(item);
          break;
        case 'infra':
          this.infra(item);
          break;
        case 'moved':
        case 'removed':
          this.move(item);
          break;
        case 'import':
          this.importBlock(item);
          break;
        default:
          this.fail(
            `Unsupported block type "${item.type}"`,
            didYouMean(item.type, TOP_LEVEL) ?? `The top level holds ${list(TOP_LEVEL)} blocks.`,
            item.typeRange,
          );
      }
    }
  }

  /** Checks the labels against `names` (`["type", "name"]`); returns them when all are present and valid. */
  private labels(b: Block, names: readonly string[], usage: string): string[] | null {
    if (b.labels.length < names.length) {
      const missing = names[b.labels.length];
      this.fail(`Missing ${missing} for ${b.type} block`, `Write it as: ${usage}`, header(b));
      return null;
    }
    if (b.labels.length > names.length) {
      const extra = b.labels[names.length];
      this.fail(`Extra label on ${b.type} block`, `Write it as: ${usage}`, extra.range);
      return null;
    }
    for (const l of b.labels) {
      if (!NAME.test(l.value)) {
        this.fail(
          `Invalid name ${JSON.stringify(l.value)}`,
          'A name starts with a letter or underscore and holds only letters, digits, underscores and hyphens.',
          l.range,
        );
        return null;
      }
    }
    if (b.body === null) {
      this.fail(`Missing body for ${b.type} block`, `Write it as: ${usage}`, header(b));
      return null;
    }
    const values: string[] = [];
    for (let i = 0; i < b.labels.length; i++) values.push(b.labels[i].value);
    return values;
  }

  /** Attributes of a body that only allows `allowed` arguments and no blocks. */
  private attributes(body: Body, allowed: readonly string[], where: string): Map<string, Attribute> {
    const out = new Map<string, Attribute>();
    for (const item of body.items) {
      if (item.kind === 'Block') {
        this.fail(`Unexpected block "${item.type}" in ${where}`, `${capitalize(article(where))} holds only the arguments ${list(allowed)}.`, item.typeRange);
        continue;
      }
      if (!allowed.includes(item.name)) {
        this.fail(`Unsupported argument "${item.name}" in ${where}`, didYouMean(item.name, allowed) ?? `${capitalize(article(where))} accepts ${list(allowed)}.`, item.nameRange);
        continue;
      }
      if (out.has(item.name)) {
        this.fail(`Duplicate argument "${item.name}"`, `"${item.name}" is already set at ${at(out.get(item.name)!.range)}.`, item.nameRange);
        continue;
      }
      out.set(item.name, item);
    }
    return out;
  }

  private literalBool(a: Attribute | undefined): boolean {
    if (a === undefined) return false;
    const r = evaluateLiteral(a.expr, LITERAL);
    for (const d of r.diagnostics) this.diags.push(d);
    if (r.diagnostics.length > 0) return false;
    if (typeof r.value !== 'boolean') {
      this.fail(`Invalid value for "${a.name}"`, 'It must be true or false.', a.expr.range);
      return false;
    }
    return r.value;
  }

  private literalString(a: Attribute | undefined): string | undefined {
    if (a === undefined) return undefined;
    const r = evaluateLiteral(a.expr, LITERAL);
    for (const d of r.diagnostics) this.diags.push(d);
    if (r.diagnostics.length > 0) return undefined;
    if (typeof r.value !== 'string') {
      this.fail(`Invalid value for "${a.name}"`, 'It must be a string.', a.expr.range);
      return undefined;
    }
    return r.value;
  }

  private variable(b: Block): void {
    const labels = this.labels(b, ['name'], 'variable "NAME" { type = string }');
    if (labels === null) return;
    const [name] = labels;
    const validationBlocks = b.body!.items.filter((i): i is Block => i.kind === 'Block' && i.type === 'validation');
    const rest = b.body!.items.filter((i) => !(i.kind === 'Block' && i.type === 'validation'));
    const args = this.attributes({ ...b.body!, items: rest }, VARIABLE_ARGS, 'variable block');
    const validations = this.conditionRules(validationBlocks);
    for (const rule of validations) {
      // Terraform 1.11 still requires the rule to look at the variable it validates.
      if (!referencesOf(rule.condition).some((r) => r.kind === 'var' && r.name === name)) {
        this.fail('Invalid variable validation condition', `The condition for variable "${name}" must refer to var.${name} in order to test incoming values.`, rule.condition.range);
      }
    }
    let type: Type = 'any';
    const typeArg = args.get('type');
    if (typeArg) {
      const t = typeFromExpr(typeArg.expr);
      for (const d of t.diagnostics) this.diags.push(d);
      if (t.type !== null) type = t.type;
    }
    const description = this.literalString(args.get('description'));
    const decl: VariableDecl = {
      name,
      type,
      ...(args.has('default') ? { default: args.get('default')!.expr } : {}),
      ...(description !== undefined ? { description } : {}),
      sensitive: this.literalBool(args.get('sensitive')),
      ...(args.has('nullable') && !this.literalBool(args.get('nullable')) ? { nullable: false } : {}),
      ...(validations.length > 0 ? { validations } : {}),
      headerRange: header(b),
      range: b.range,
    };
    const defaultArg = args.get('default');
    if (decl.nullable === false && defaultArg && defaultArg.expr.kind === 'Literal' && defaultArg.expr.value === null) {
      this.fail('Invalid default value for variable', 'A null default value is not valid when nullable=false.', defaultArg.expr.range);
    }
    const prior = this.variables.get(name);
    if (prior) {
      this.fail(`Duplicate variable "${name}"`, `var.${name} is already declared at ${at(prior.range)}.`, header(b));
      return;
    }
    this.variables.set(name, decl);
  }

  /**
   * `validation`, `precondition` or `postcondition` blocks: `{ condition = EXPR, error_message = EXPR }`,
   * both required, nothing else.
   */
  private conditionRules(blocks: readonly Block[]): ConditionRule[] {
    const rules: ConditionRule[] = [];
    for (const b of blocks) {
      const usage = `${b.type} { condition = EXPRESSION, error_message = "..." }`;
      if (this.labels(b, [], usage) === null) continue;
      const args = this.attributes(b.body!, ['condition', 'error_message'], `${b.type} block`);
      const condition = args.get('condition');
      const message = args.get('error_message');
      for (const [arg, name] of [[condition, 'condition'], [message, 'error_message']] as const) {
        if (arg === undefined) this.fail('Missing required argument', `The argument "${name}" is required, but no definition was found.`, header(b));
      }
      if (condition && message) rules.push({ condition: condition.expr, errorMessage: message.expr, range: header(b) });
    }
    return rules;
  }

  private localsBlock(b: Block): void {
    if (b.labels.length > 0) {
      this.fail('Unexpected label on locals block', 'Write it as: locals { NAME = VALUE }', b.labels[0].range);
      return;
    }
    if (b.body === null) return;
    for (const item of b.body.items) {
      if (item.kind === 'Block') {
        this.fail(`Unexpected block "${item.type}" in locals`, 'A locals block holds only NAME = VALUE arguments.', item.typeRange);
        continue;
      }
      const prior = this.locals.get(item.name);
      if (prior) {
        this.fail(`Duplicate local value "${item.name}"`, `local.${item.name} is already declared at ${at(prior.range)}.`, item.nameRange);
        continue;
      }
      this.locals.set(item.name, { name: item.name, expr: item.expr, range: item.range });
    }
  }

  private provider(b: Block): void {
    const labels = this.labels(b, ['name'], 'provider "NAME" { ... }');
    if (labels === null) return;
    const [name] = labels;
    const prior = this.providers.get(name);
    if (prior) {
      this.fail(`Duplicate provider "${name}"`, `provider "${name}" is already configured at ${at(prior.range)}.`, header(b));
      return;
    }
    this.providers.set(name, { name, body: b.body!, range: b.range });
  }

  /**
   * `infra { backend "pg" { ... } encryption { ... } }`: the tool's own settings. Only the
   * structure is checked here; the settings' values are evaluated (`env()`) and checked against
   * their schemas where they are used (src/state/backend-config.ts).
   */
  private infra(b: Block): void {
    if (b.labels.length > 0) {
      this.fail('Unexpected label on infra block', 'Write it as: infra { backend "pg" { ... } }', b.labels[0].range);
      return;
    }
    if (this.settings) {
      this.fail('Duplicate infra block', `The infra block is already written at ${at(this.settings.range)}; put every setting in that one.`, header(b));
      return;
    }
    let backend: InfraSettings['backend'];
    let encryption: InfraSettings['encryption'];
    let requiredVersion: Attribute | undefined;
    for (const item of b.body?.items ?? []) {
      if (item.kind === 'Attribute') {
        if (item.name !== 'required_version') {
          this.fail(`Unsupported argument "${item.name}" in infra block`, didYouMean(item.name, ['required_version']) ?? `An infra block holds required_version and ${list(INFRA_BLOCKS)} blocks.`, item.nameRange);
        } else if (requiredVersion) {
          this.fail('Duplicate argument "required_version"', `"required_version" is already set at ${at(requiredVersion.range)}.`, item.nameRange);
        } else {
          requiredVersion = item;
          this.requiredVersion(item);
        }
        continue;
      }
      if (item.type === 'backend') {
        const labels = this.labels(item, ['type'], 'backend "pg" { conn_str = env("PG_CONN_STR") }');
        if (labels === null) continue;
        if (backend) {
          this.fail('Duplicate backend block', `The backend is already set at ${at(backend.range)}.`, header(item));
          continue;
        }
        backend = { type: labels[0], typeRange: item.labels[0].range, body: item.body!, range: item.range };
      } else if (item.type === 'encryption') {
        const labels = this.labels(item, [], 'encryption { key = env("INFRA_STATE_KEY") }');
        if (labels === null) continue;
        if (encryption) {
          this.fail('Duplicate encryption block', `Encryption is already set at ${at(encryption.range)}.`, header(item));
          continue;
        }
        encryption = { body: item.body!, range: item.range };
      } else {
        this.fail(
          `Unsupported block type "${item.type}" in infra block`,
          didYouMean(item.type, INFRA_BLOCKS) ?? `An infra block holds only ${list(INFRA_BLOCKS)} blocks.`,
          item.typeRange,
        );
      }
    }
    this.settings = { range: b.range, ...(backend ? { backend } : {}), ...(encryption ? { encryption } : {}) };
  }

  /**
   * `required_version = ">= 0.1, < 2"`: this infra's version (package.json) must satisfy it, with
   * Terraform's constraint syntax and messages.
   */
  private requiredVersion(a: Attribute): void {
    const r = evaluateLiteral(a.expr, LITERAL);
    for (const d of r.diagnostics) this.diags.push(d);
    if (r.diagnostics.length > 0) return;
    const text = typeof r.value === 'number' ? String(r.value) : r.value;
    if (typeof text !== 'string') {
      this.fail('Invalid value for "required_version"', 'It must be a string of version constraints, such as ">= 0.1, < 2".', a.expr.range);
      return;
    }
    const constraints = parseConstraints(text);
    if (!constraints) {
      this.fail('Invalid version constraint', 'This string does not use correct version constraint syntax.', a.expr.range);
      return;
    }
    const running = parseVersion(INFRA_VERSION);
    if (running && !satisfies(running, constraints)) {
      this.fail(
        'Unsupported infra version',
        `This configuration does not support infra version ${INFRA_VERSION}. To proceed, either choose another supported infra version or update this version constraint. Version constraints are normally set for good reason, so updating the constraint may lead to other errors or unexpected behavior.`,
        a.range,
      );
    }
  }

  /** `moved { from = ADDR, to = ADDR }` / `removed { from = ADDR }`; addresses written as references. */
  private move(b: Block): void {
    const moved = b.type === 'moved';
    const usage = moved ? 'moved { from = TYPE.NAME, to = TYPE.NEW_NAME }' : 'removed { from = TYPE.NAME }';
    const labels = this.labels(b, [], usage);
    if (labels === null) return;
    const args = this.attributes(b.body!, moved ? ['from', 'to'] : ['from'], `${b.type} block`);
    const address = (name: string): string | undefined => {
      const a = args.get(name);
      if (a === undefined) {
        this.fail(`Missing argument "${name}" in ${b.type} block`, `Write it as: ${usage}`, header(b));
        return undefined;
      }
      const text = resourceAddress(a.expr);
      if (text === undefined) this.fail(`Invalid address in "${name}"`, 'Write a resource or instance address, without quotes: TYPE.NAME, TYPE.NAME[0] or TYPE.NAME["key"].', a.expr.range);
      return text;
    };
    const from = address('from');
    const to = moved ? address('to') : null;
    if (from === undefined || to === undefined) return;
    this.moves.push({ from, to, range: b.range });
  }

  /** `import { to = ADDR, id = "ID" }`: the address written as a reference, the ID a literal string. */
  private importBlock(b: Block): void {
    const usage = 'import { to = TYPE.NAME, id = "ID" }';
    if (this.labels(b, [], usage) === null) return;
    const args = this.attributes(b.body!, ['to', 'id'], 'import block');
    const toArg = args.get('to');
    const idArg = args.get('id');
    if (!toArg) this.fail('Missing argument "to" in import block', `Write it as: ${usage}`, header(b));
    if (!idArg) this.fail('Missing argument "id" in import block', `Write it as: ${usage}`, header(b));
    if (!toArg || !idArg) return;
    const to = resourceAddress(toArg.expr);
    if (to === undefined) this.fail('Invalid address in "to"', 'Write a resource or instance address, without quotes: TYPE.NAME, TYPE.NAME[0] or TYPE.NAME["key"].', toArg.expr.range);
    const id = this.literalString(idArg);
    if (id === '') this.fail('Invalid value for "id"', "It is the object's ID in its provider (a Linode ID such as \"12345\"), so it cannot be empty.", idArg.expr.range);
    if (to === undefined || id === undefined || id === '') return;
    const same = this.imports.find((i) => i.to === to);
    if (same) {
      this.fail(`Duplicate import configuration for "${to}"`, `An import block for ${to} is already at ${at(same.range)}. Only one import block per address is allowed.`, b.range);
      return;
    }
    this.imports.push({ to, id, range: b.range });
  }

  private output(b: Block): void {
    const labels = this.labels(b, ['name'], 'output "NAME" { value = ... }');
    if (labels === null) return;
    const [name] = labels;
    const preconditionBlocks = b.body!.items.filter((i): i is Block => i.kind === 'Block' && i.type === 'precondition');
    const args = this.attributes({ ...b.body!, items: b.body!.items.filter((i) => !preconditionBlocks.includes(i as Block)) }, OUTPUT_ARGS, 'output block');
    const preconditions = this.conditionRules(preconditionBlocks);
    const value = args.get('value');
    const description = this.literalString(args.get('description'));
    const sensitive = this.literalBool(args.get('sensitive'));
    if (value === undefined) {
      this.fail(`Missing argument "value" in output "${name}"`, 'An output needs a value: output "NAME" { value = EXPRESSION }.', header(b));
      return;
    }
    const prior = this.outputs.get(name);
    if (prior) {
      this.fail(`Duplicate output "${name}"`, `output "${name}" is already declared at ${at(prior.range)}.`, header(b));
      return;
    }
    this.outputs.set(name, {
      name,
      expr: value.expr,
      sensitive,
      ...(description !== undefined ? { description } : {}),
      ...(preconditions.length > 0 ? { preconditions } : {}),
      range: b.range,
    });
  }

  /** `module "NAME" { source = "./PATH", for_each | count, depends_on, ARG = VALUE ... }`. */
  private moduleCall(b: Block): void {
    const usage = 'module "NAME" { source = "./modules/NAME" }';
    const labels = this.labels(b, ['name'], usage);
    if (labels === null) return;
    const [name] = labels;
    const args = new Map<string, Attribute>();
    let source: Attribute | undefined;
    let forEach: Attribute | undefined;
    let count: Attribute | undefined;
    let dependsOn: ModuleCallDecl['dependsOn'] = [];
    const seen = new Map<string, Attribute>();
    for (const item of b.body!.items) {
      if (item.kind === 'Block') {
        this.fail(`Unexpected block "${item.type}" in module block`, 'A module block holds only arguments: source, for_each or count, depends_on and the values of the module\'s variables.', item.typeRange);
        continue;
      }
      const prior = seen.get(item.name);
      if (prior) {
        this.fail(`Duplicate argument "${item.name}"`, `"${item.name}" is already set at ${at(prior.range)}.`, item.nameRange);
        continue;
      }
      seen.set(item.name, item);
      if (MODULE_UNSUPPORTED.includes(item.name)) {
        this.fail(
          `Unsupported argument "${item.name}" in module block`,
          item.name === 'version' ? 'Only local modules are supported, and they have no versions.' : 'Modules use the root module\'s provider configurations; there is nothing to pass.',
          item.nameRange,
        );
        continue;
      }
      switch (item.name) {
        case 'source':
          source = item;
          break;
        case 'for_each':
        case 'count': {
          const other = item.name === 'for_each' ? count : forEach;
          if (other) {
            this.fail('"count" and "for_each" cannot both be set', `${other.name} is already set at ${at(other.range)}; a module call has either a count or a for_each.`, item.nameRange);
            break;
          }
          if (item.name === 'for_each') forEach = item;
          else count = item;
          break;
        }
        case 'depends_on':
          dependsOn = this.dependsOn(item);
          break;
        default:
          args.set(item.name, item);
      }
    }
    if (source === undefined) {
      this.fail(`Missing argument "source" in module "${name}"`, `A module block names the module's directory: ${usage}.`, header(b));
      return;
    }
    const sourceText = this.literalString(source);
    if (sourceText === undefined) return;
    const prior = this.moduleCalls.find((m) => m.name === name);
    if (prior) {
      this.fail(`Duplicate module call "${name}"`, `module "${name}" is already declared at ${at(prior.range)}.`, header(b));
      return;
    }
    this.moduleCalls.push({
      name,
      source: sourceText,
      sourceRange: source.expr.range,
      ...(forEach ? { forEach: forEach.expr } : {}),
      ...(count ? { count: count.expr } : {}),
      dependsOn,
      args,
      range: b.range,
      headerRange: header(b),
    });
  }

  /** `resource "TYPE" "NAME" { ... }`, or with `mode` data, `data "TYPE" "NAME" { ... }` (no lifecycle). */
  private resource(b: Block, mode?: 'data'): void {
    const labels = this.labels(b, ['type', 'name'], `${mode ?? 'resource'} "TYPE" "NAME" { ... }`);
    if (labels === null) return;
    const type = labels[0];
    const name = labels[1];
    const address = mode ? `data.${type}.${name}` : `${type}.${name}`;
    const body = b.body!;
    const kept: (Attribute | Block)[] = [];
    let forEach: Attribute | undefined;
    let count: Attribute | undefined;
    let dependsOn: ResourceDecl['dependsOn'] = [];
    let lifecycle: Omit<Lifecycle, 'blueGreen'> | undefined;
    let lifecycleBlock: Block | undefined;
    let blueGreen: Lifecycle['blueGreen'];
    let blueGreenBlock: Block | undefined;
    for (const item of body.items) {
      if (item.kind === 'Attribute') {
        switch (item.name) {
          case 'for_each':
          case 'count': {
            const other = item.name === 'for_each' ? count : forEach;
            if (other) {
              this.fail(
                '"count" and "for_each" cannot both be set',
                `${other.name} is already set at ${at(other.range)}; a resource has either a count or a for_each.`,
                item.nameRange,
              );
              continue;
            }
            if (item.name === 'for_each') forEach = item;
            else count = item;
            continue;
          }
          case 'depends_on':
            dependsOn = this.dependsOn(item);
            continue;
        }
        kept.push(item);
        continue;
      }
      if (item.type !== 'lifecycle') {
        kept.push(item);
        continue;
      }
      if (mode) {
        this.fail('Unsupported lifecycle block in data block', 'A data source is read, never created, replaced or destroyed: it has no lifecycle.', item.typeRange);
        continue;
      }
      if (item.labels.length === 0) {
        if (lifecycleBlock) {
          this.fail('Duplicate lifecycle block', `This resource already has a lifecycle block at ${at(lifecycleBlock.range)}.`, item.typeRange);
          continue;
        }
        lifecycleBlock = item;
        lifecycle = this.lifecycle(item);
        continue;
      }
      const kind = item.labels[0];
      if (!LIFECYCLE_KINDS.includes(kind.value)) {
        this.fail(
          `Unknown lifecycle ${JSON.stringify(kind.value)}`,
          didYouMean(kind.value, LIFECYCLE_KINDS) ?? 'Write lifecycle blue_green, or lifecycle { prevent_destroy, ignore_changes, create_before_destroy }.',
          kind.range,
        );
        continue;
      }
      if (item.labels.length > 1) {
        this.fail(`Extra label on lifecycle ${kind.value}`, `Write it as: lifecycle ${kind.value}, or lifecycle ${kind.value} { max_parallel = 2 }`, item.labels[1].range);
        continue;
      }
      if (blueGreenBlock) {
        this.fail('Duplicate lifecycle blue_green', `This resource is already blue-green at ${at(blueGreenBlock.range)}.`, header(item));
        continue;
      }
      blueGreenBlock = item;
      blueGreen = this.blueGreen(item);
    }
    // Optional members are left out, not set to undefined. Built without spreads: there is one
    // of these per resource block, and a spread is a slow call until the code is optimized.
    const decl: { -readonly [K in keyof ResourceDecl]: ResourceDecl[K] } = {
      ...(mode ? { mode } : {}),
      type,
      name,
      address,
      range: b.range,
      typeRange: b.labels[0].range,
      nameRange: b.labels[1].range,
      body: kept.length === body.items.length ? body : { kind: 'Body', items: kept, range: body.range },
      dependsOn,
      lifecycle: blueGreen
        ? { blueGreen, ...(lifecycle ?? NO_LIFECYCLE) }
        : (lifecycle ?? NO_LIFECYCLE),
    };
    if (forEach) decl.forEach = forEach.expr;
    if (count) decl.count = count.expr;
    const prior = this.resourceByAddress.get(address);
    if (prior) {
      this.fail(`Duplicate ${mode ? 'data source' : 'resource'} "${address}"`, `${address} is already declared at ${at(prior.range)}.`, header(b));
      return;
    }
    this.resourceByAddress.set(address, decl);
    (mode ? this.dataSources : this.resources).push(decl);
  }

  private lifecycle(b: Block): Omit<Lifecycle, 'blueGreen'> {
    const body = b.body ?? { kind: 'Body' as const, items: [], range: b.range };
    for (const item of body.items) {
      if (item.kind === 'Attribute' && item.name === 'max_parallel') {
        this.fail('Unsupported argument "max_parallel" in lifecycle block', 'max_parallel belongs to blue-green: lifecycle blue_green { max_parallel = 2 }.', item.nameRange);
      }
    }
    const conditionBlock = (i: Attribute | Block, type: string): i is Block => i.kind === 'Block' && i.type === type;
    const args = this.attributes(
      {
        ...body,
        items: body.items.filter((i) => !(i.kind === 'Attribute' && i.name === 'max_parallel') && !conditionBlock(i, 'precondition') && !conditionBlock(i, 'postcondition')),
      },
      LIFECYCLE_ARGS,
      'lifecycle block',
    );
    const replaceTriggers = this.replaceTriggeredBy(args.get('replace_triggered_by'));
    const preconditions = this.conditionRules(body.items.filter((i): i is Block => conditionBlock(i, 'precondition')));
    const postconditions = this.conditionRules(body.items.filter((i): i is Block => conditionBlock(i, 'postcondition')));
    for (const rule of preconditions) {
      const self = referencesOf(rule.condition).find((r) => r.kind === 'resource' && r.type === 'self');
      if (self) this.fail('Invalid "self" reference', 'The "self" object is not available in a precondition: it is the instance as applied, known only to a postcondition.', self.range);
    }
    return {
      preventDestroy: this.literalBool(args.get('prevent_destroy')),
      ignoreChanges: this.ignoreChanges(args.get('ignore_changes')),
      createBeforeDestroy: this.literalBool(args.get('create_before_destroy')),
      ...(preconditions.length > 0 ? { preconditions } : {}),
      ...(postconditions.length > 0 ? { postconditions } : {}),
      ...replaceTriggers,
    };
  }

  /** `replace_triggered_by = [TYPE.NAME, TYPE.NAME[count.index], TYPE.NAME.attr, ...]`, with Terraform's messages. */
  private replaceTriggeredBy(a: Attribute | undefined): { replaceTriggeredBy?: ReplaceTrigger[] } {
    if (a === undefined) return {};
    if (a.expr.kind !== 'Tuple') {
      this.fail('Invalid expression', 'A static list expression is required.', a.expr.range);
      return {};
    }
    const out: ReplaceTrigger[] = [];
    for (const item of a.expr.items) {
      const trigger = replaceTrigger(item);
      if (trigger === 'reference') this.fail('Invalid reference in replace_triggered_by expression', 'Only resources, count.index, and each.key may be used in replace_triggered_by.', item.range);
      else if (trigger === 'expression') this.fail('Invalid replace_triggered_by expression', 'Missing resource reference in replace_triggered_by expression.', item.range);
      else if (trigger === 'path') this.fail('Invalid replace_triggered_by expression', 'After the resource (and its key) come attribute names only: TYPE.NAME.ATTRIBUTE or TYPE.NAME[KEY].ATTRIBUTE.', item.range);
      if (typeof trigger === 'string') continue;
      out.push(trigger);
    }
    return out.length > 0 ? { replaceTriggeredBy: out } : {};
  }

  private ignoreChanges(a: Attribute | undefined): string[] {
    if (a === undefined) return [];
    const e = a.expr;
    if (e.kind !== 'Tuple') {
      this.fail('Invalid ignore_changes', 'ignore_changes is a list of attribute names: ignore_changes = [tags, description].', e.range);
      return [];
    }
    const out: string[] = [];
    for (const item of e.items) {
      const path = attributePath(item);
      if (path === undefined) {
        this.fail('Invalid ignore_changes entry', 'Each entry is an attribute name, such as tags or tags.owner.', item.range);
        continue;
      }
      if (!out.includes(path)) out.push(path);
    }
    return out;
  }

  private blueGreen(b: Block): Lifecycle['blueGreen'] {
    let maxParallel = 1;
    const options = new Map<string, Expr>();
    let maxParallelSeen = false;
    for (const item of b.body?.items ?? []) {
      if (item.kind === 'Block') {
        this.fail(`Unexpected block "${item.type}" in lifecycle blue_green`, 'lifecycle blue_green holds only arguments, such as max_parallel = 2.', item.typeRange);
        continue;
      }
      if (options.has(item.name) || (item.name === 'max_parallel' && maxParallelSeen)) {
        this.fail(`Duplicate argument "${item.name}"`, undefined, item.nameRange);
        continue;
      }
      if (item.name !== 'max_parallel') {
        options.set(item.name, item.expr);
        continue;
      }
      maxParallelSeen = true;
      const r = evaluateLiteral(item.expr, LITERAL);
      for (const d of r.diagnostics) this.diags.push(d);
      if (r.diagnostics.length > 0) continue;
      if (typeof r.value !== 'number' || !Number.isInteger(r.value) || r.value < 1) {
        this.fail('Invalid max_parallel', 'max_parallel is how many blue-green deploys of this resource may run at once: a whole number, 1 or more.', item.expr.range);
        continue;
      }
      maxParallel = r.value;
    }
    const keepBlue = decodeKeepBlue(options, this.diags);
    return keepBlue ? { range: b.range, maxParallel, options, keepBlue } : { range: b.range, maxParallel, options };
  }

  /** `depends_on = [...]`: resources, their instances, and module calls (`module.NAME`). */
  private dependsOn(a: Attribute): { address: string; range: SourceRange }[] {
    const e = a.expr;
    if (e.kind !== 'Tuple') {
      this.fail('Invalid depends_on', 'depends_on is a list of resources: depends_on = [local_host.ns, nginx_upstream.lb].', e.range);
      return [];
    }
    const out: { address: string; range: SourceRange }[] = [];
    for (const item of e.items) {
      const address = moduleCallAddress(item) ?? resourceAddress(item);
      if (address === undefined) {
        this.fail(
          'Invalid depends_on entry',
          'Each entry is a resource (TYPE.NAME), one of its instances (TYPE.NAME["key"] or TYPE.NAME[0]) or a module call (module.NAME), not an attribute or a value.',
          item.range,
        );
        continue;
      }
      out.push({ address, range: item.range });
    }
    return out;
  }
}

/** `tags`, `tags.owner`, or `"tags"`: an attribute path in ignore_changes. */
function attributePath(e: Expr): string | undefined {
  if (e.kind === 'Variable') return e.name;
  if (e.kind === 'GetAttr') {
    const inner = attributePath(e.object);
    return inner === undefined ? undefined : `${inner}.${e.name}`;
  }
  if (e.kind === 'Template' && e.parts.length === 1 && e.parts[0].kind === 'Text' && NAME.test(e.parts[0].value)) return e.parts[0].value;
  return undefined;
}

/**
 * One `replace_triggered_by` entry, or what is wrong with it: `reference` when it refers to
 * something other than a resource (or its key to something other than count.index, each.key),
 * `expression` when it is no resource reference at all.
 */
function replaceTrigger(e: Expr): ReplaceTrigger | 'reference' | 'expression' | 'path' {
  const steps: Expr[] = [];
  let root: Expr = e;
  while (root.kind === 'GetAttr' || root.kind === 'Index') {
    steps.unshift(root);
    root = root.object;
  }
  if (root.kind !== 'Variable') return 'expression';
  if (isReferenceRoot(root.name) || root.name === 'self') return 'reference';
  const [first, second, ...rest] = steps;
  if (first?.kind !== 'GetAttr') return 'expression';
  let index: Expr | undefined;
  let tail = rest;
  if (second?.kind === 'Index') {
    index = second.key;
    const keyRefs = referencesOf(index);
    if (keyRefs.some((r) => !((r.kind === 'count' && r.name === 'index') || (r.kind === 'each' && r.name === 'key')))) return 'reference';
  } else if (second !== undefined) tail = [second, ...rest];
  const path: string[] = [];
  for (const s of tail) {
    if (s.kind !== 'GetAttr') return 'path';
    path.push(s.name);
  }
  return { block: `${root.name}.${first.name}`, ...(index ? { index } : {}), path, range: e.range };
}

/** `module.NAME` written as a traversal (a whole module call, in depends_on); undefined otherwise. */
function moduleCallAddress(e: Expr): string | undefined {
  return e.kind === 'GetAttr' && e.object.kind === 'Variable' && e.object.name === 'module' ? `module.${e.name}` : undefined;
}

/** A literal instance key written as an index: `[0]` or `["k"]`, formatted as in addresses. */
function literalIndex(k: Expr): string | undefined {
  if (k.kind === 'Literal' && typeof k.value === 'number' && Number.isInteger(k.value) && k.value >= 0) return `[${k.value}]`;
  if (k.kind === 'Template' && k.parts.length === 1 && k.parts[0].kind === 'Text') return `[${JSON.stringify(k.parts[0].value)}]`;
  return undefined;
}

/**
 * `type.name`, `type.name[0]`, `type.name["k"]` written as a traversal, optionally inside
 * modules (`module.m.type.name`, `module.m["a"].type.name["k"]`); undefined otherwise.
 */
function resourceAddress(e: Expr): string | undefined {
  // Peel the module steps off the root first: `module.m["a"].` ... in source order.
  const steps: (GetAttrExpr | IndexExpr)[] = [];
  for (let x: Expr = e; x.kind === 'GetAttr' || x.kind === 'Index'; x = x.object) steps.unshift(x);
  let root: Expr = e;
  while (root.kind === 'GetAttr' || root.kind === 'Index') root = root.object;
  if (root.kind === 'Variable' && root.name === 'module') {
    let prefix = '';
    let i = 0;
    let first = true;
    while (i < steps.length) {
      const s = steps[i];
      if (first) {
        if (s.kind !== 'GetAttr') return undefined;
        prefix += `module.${s.name}`;
        first = false;
        i++;
        continue;
      }
      if (s.kind === 'Index') {
        const k = literalIndex(s.key);
        if (k === undefined) return undefined;
        prefix += k;
        i++;
        continue;
      }
      if (s.name === 'module') {
        const next = steps[i + 1];
        if (next?.kind !== 'GetAttr') return undefined;
        prefix += `.module.${next.name}`;
        i += 2;
        continue;
      }
      // The resource part: TYPE.NAME and an optional key.
      const nameStep = steps[i + 1];
      if (nameStep?.kind !== 'GetAttr') return undefined;
      let out = `${prefix}.${s.name}.${nameStep.name}`;
      const keyStep = steps[i + 2];
      if (keyStep !== undefined) {
        if (keyStep.kind !== 'Index' || steps.length > i + 3) return undefined;
        const k = literalIndex(keyStep.key);
        if (k === undefined) return undefined;
        out += k;
      }
      return out;
    }
    return undefined;
  }
  if (root.kind === 'Variable' && isReferenceRoot(root.name)) return undefined;
  if (root.kind === 'Variable' && root.name === 'data') return dataAddress(e);
  if (e.kind === 'GetAttr' && e.object.kind === 'Variable') return `${e.object.name}.${e.name}`;
  if (e.kind === 'Index' && e.object.kind === 'GetAttr' && e.object.object.kind === 'Variable') {
    const base = `${e.object.object.name}.${e.object.name}`;
    const k = e.key;
    if (k.kind === 'Literal' && typeof k.value === 'number' && Number.isInteger(k.value) && k.value >= 0) return `${base}[${k.value}]`;
    if (k.kind === 'Template' && k.parts.length === 1 && k.parts[0].kind === 'Text') return `${base}[${JSON.stringify(k.parts[0].value)}]`;
  }
  return undefined;
}

/** `data.TYPE.NAME`, `data.TYPE.NAME[0]`, `data.TYPE.NAME["k"]`; undefined otherwise. */
function dataAddress(e: Expr): string | undefined {
  const base = (x: Expr): string | undefined =>
    x.kind === 'GetAttr' && x.object.kind === 'GetAttr' && x.object.object.kind === 'Variable' ? `data.${x.object.name}.${x.name}` : undefined;
  if (e.kind !== 'Index') return base(e);
  const b = base(e.object);
  const k = e.key;
  if (b === undefined) return undefined;
  if (k.kind === 'Literal' && typeof k.value === 'number' && Number.isInteger(k.value) && k.value >= 0) return `${b}[${k.value}]`;
  if (k.kind === 'Template' && k.parts.length === 1 && k.parts[0].kind === 'Text') return `${b}[${JSON.stringify(k.parts[0].value)}]`;
  return undefined;
}
