/**
 * Module calls flattened into one configuration: every resource of every module instance
 * becomes a resource block of the root with its full address (`module.dns["a"].local_host.ns`),
 * every data block a data block of the root (`module.dns["a"].data.local_file.zone`), and the modules' variables, locals and outputs become locals with addresses for names
 * (`module.dns["a"].var.zone`). The graph, planner, apply and state then know nothing of
 * modules but their addresses.
 *
 * The instances of a call (`for_each`, `count`) are decided here, before any resource is
 * planned: from variables, locals and literals, or (FlattenOptions.planned) from the values the
 * planner knows: resources in the state that the plan leaves alone or whose attributes are known
 * from the configuration, and data sources read. What is still unknown is an error (Terraform's
 * "Invalid for_each argument"), or an unknown call for validate and graph.
 *
 * Expressions are rewritten per instance, not evaluated: `var.X` becomes the local holding the
 * call's argument (converted to the variable's type), `TYPE.NAME` the flattened block, and
 * `module.NAME` stays a lookup the evaluation scope answers from `Config.moduleCalls` (outputs
 * read lazily, so reads are charged per output: src/planner/scope.ts). References to names a
 * module does not declare are reported here, at the reference.
 */
import type { ConditionRule, Config, Lifecycle, LocalDecl, ModuleCallDecl, ModuleCallInstances, ResourceDecl } from '../config/types.js';
import { type Diagnostic, type Result, type SourceRange, didYouMean, error } from '../diagnostics.js';
import type { Body, Expr, TemplatePart } from '../parser/ast.js';
import { instanceAddress } from '../addrs/address.js';
import { type EvalScope, evaluateExpr } from './evaluate.js';
import { createLocals } from './locals.js';
import { expandInstances, instanceScope, type InstanceKey } from './resource.js';
import { ConversionError, convert } from './convert.js';
import { UNKNOWN, type Value } from './value.js';

/** How a module's expressions are rewritten for one of its instances. */
interface Rewrite {
  /** The instance's address (`module.dns["a"]`); '' in the root module, whose expressions are left alone. */
  readonly prefix: string;
  readonly config: Config;
  /** The module call's `each` / `count.index`, substituted in the call's own arguments. */
  readonly each?: { readonly key: Expr; readonly value: Expr };
  readonly countIndex?: Expr;
  readonly diags: Diagnostic[];
}

/** A module call's instances as a plan decided them from planned values (kept in saved plans). */
export interface DecidedModuleInstances {
  /** `module.ns`, `module.ns["a"].module.inner`. */
  readonly address: string;
  /** The for_each keys (sorted) or count indexes. */
  readonly keys: readonly (string | number)[];
  /** `key`: each.value is the key (a set); `element`: the for_each value at the key (a map or an object). */
  readonly eachValue: 'key' | 'element';
}

/** What flattening does with a call whose `for_each` or `count` is not known. */
export interface FlattenOptions {
  /**
   * `error` (plan and apply): it is an error. `unknown` (validate, graph, whose variables may be
   * placeholders): the call has no instances yet and `module.NAME` is unknown.
   */
  readonly unknownInstances?: 'error' | 'unknown';
  /**
   * The values the planner knows (a scope over a flattened configuration evaluated against the
   * refreshed state and the data sources read: src/planner/module-instances.ts). A call whose
   * `for_each` or `count` is unknown from variables and locals alone is decided again in it,
   * its expression rewritten into flattened names; only what is still unknown there is unknown.
   */
  readonly planned?: EvalScope;
  /** Instances a plan decided (a saved plan's), for the calls unknown from variables and locals; returned as `decided` by a flattening that used `planned`. */
  readonly decided?: readonly DecidedModuleInstances[];
}

/**
 * Flattens `config`'s module calls (see the file comment); `variables` are the root module's.
 * A configuration without modules is returned as it is.
 */
export function flattenModules(
  config: Config,
  variables: ReadonlyMap<string, Value>,
  env: NodeJS.ProcessEnv,
  opts: FlattenOptions = {},
): Result<Config> & { readonly decided?: readonly DecidedModuleInstances[] } {
  if (!config.modules || config.modules.size === 0) return { value: config, diagnostics: [] };
  const diags: Diagnostic[] = [];
  const out: Output = {
    resources: [...config.resources],
    dataSources: [...(config.dataSources ?? [])],
    locals: new Map<string, LocalDecl>(config.locals),
    calls: new Map<string, ModuleCallInstances>(),
    unknownInstances: opts.unknownInstances ?? 'error',
    ...(opts.planned ? { planned: opts.planned } : {}),
    given: new Map((opts.decided ?? []).map((d) => [d.address, d])),
    decided: [],
    usedPlanned: { value: false },
  };
  const rootScope = expansionScope(config, variables, env);
  for (const call of config.modules.values()) flattenCall(call, { prefix: '', config, diags }, rootScope, env, out);
  const resources = out.resources.map((r) => withModuleDependencies(r, out.calls));
  const dataSources = out.dataSources.map((r) => withModuleDependencies(r, out.calls));
  const { modules: _modules, dataSources: _data, ...rest } = config;
  return {
    value: { ...rest, resources, ...(dataSources.length ? { dataSources } : {}), locals: out.locals, moduleCalls: out.calls, moduleTree: config.modules },
    diagnostics: diags,
    ...(out.usedPlanned.value ? { decided: out.decided } : {}),
  };
}

/** Scope for deciding instances: variables and locals; every resource and module output is unknown. */
function expansionScope(config: Config, variables: ReadonlyMap<string, Value>, env: NodeJS.ProcessEnv): EvalScope {
  const base: EvalScope = { configDir: config.dir, variables, env, local: () => undefined, resource: () => UNKNOWN };
  return { ...base, local: createLocals(config, base) };
}

function join(prefix: string, rest: string): string {
  return prefix === '' ? rest : `${prefix}.${rest}`;
}

/** What flattening builds, and how. */
interface Output {
  readonly resources: ResourceDecl[];
  readonly dataSources: ResourceDecl[];
  readonly locals: Map<string, LocalDecl>;
  readonly calls: Map<string, ModuleCallInstances>;
  readonly unknownInstances: 'error' | 'unknown';
  readonly planned?: EvalScope;
  /** FlattenOptions.decided, by call address. */
  readonly given: ReadonlyMap<string, DecidedModuleInstances>;
  /** The calls with for_each or count, as decided; returned when some needed `planned`. */
  readonly decided: DecidedModuleInstances[];
  readonly usedPlanned: { value: boolean };
}

function flattenCall(call: ModuleCallDecl, parent: Rewrite, parentScope: EvalScope, env: NodeJS.ProcessEnv, out: Output): void {
  const callAddress = join(parent.prefix, `module.${call.name}`);
  const keys = callInstances(call, callAddress, parent, parentScope, out);
  if (keys === 'unknown') {
    out.calls.set(callAddress, { mode: call.forEach ? 'for_each' : 'count', instances: new Map(), resources: [], unknown: true });
    return;
  }
  if (keys === null) return;
  const forEach = call.forEach ? rewrite(call.forEach, parent) : undefined;
  const instances = new Map<string | number | null, Map<string, string>>();
  const resources: string[] = [];
  const child = call.config;
  for (const key of keys) {
    const prefix = instanceAddress(callAddress, key.index);
    const inCall: Rewrite = {
      ...parent,
      // each.value is the element of the for_each value at the key: the key itself for a set of strings.
      ...(key.each ? { each: { key: keyExpr(key.index, call.range), value: forEach && key.each.value !== key.index ? indexExpr(forEach, key.index, call.range) : keyExpr(key.index, call.range) } } : {}),
      ...(key.countIndex !== undefined ? { countIndex: { kind: 'Literal', value: key.countIndex, range: call.range } } : {}),
    };
    const inModule: Rewrite = { prefix, config: child, diags: parent.diags };
    const values = new Map<string, Value>();
    const callScope = instanceScope(parentScope, key);
    for (const v of child.variables.values()) {
      const arg = call.args.get(v.name);
      const expr = arg ? rewrite(arg.expr, inCall) : v.default;
      const name = `${prefix}.var.${v.name}`;
      const validations = v.validations?.map((rule) => rewriteRule(rule, inModule));
      out.locals.set(name, {
        name,
        expr: expr ?? { kind: 'Literal', value: null, range: v.range },
        range: arg?.range ?? v.range,
        variable: {
          type: v.type,
          sensitive: v.sensitive,
          ...(validations ? { validations } : {}),
          ...(v.nullable === false ? { nullable: false, ...(v.default ? { default: v.default } : {}) } : {}),
        },
      });
      const given = arg ? evaluateQuietly(arg.expr, callScope) : v.default ? evaluateQuietly(v.default, callScope) : null;
      const converted = convert(given, v.type);
      values.set(v.name, converted instanceof ConversionError ? UNKNOWN : converted);
    }
    for (const l of child.locals.values()) {
      const name = `${prefix}.local.${l.name}`;
      out.locals.set(name, { name, expr: rewrite(l.expr, inModule), range: l.range });
    }
    const outputs = new Map<string, string>();
    for (const o of child.outputs.values()) {
      const name = `${prefix}.output.${o.name}`;
      const preconditions = o.preconditions ? { preconditions: o.preconditions.map((rule) => rewriteRule(rule, inModule)) } : {};
      // A sensitive output's value stays sensitive for the caller.
      const sensitive = o.sensitive ? { variable: { type: 'any' as const, sensitive: true } } : {};
      out.locals.set(name, { name, expr: rewrite(o.expr, inModule), range: o.range, ...preconditions, ...sensitive });
      outputs.set(o.name, name);
    }
    instances.set(key.index, outputs);
    const callDepends = call.dependsOn.map((d) => ({ address: d.address.startsWith(ABSOLUTE) ? d.address : `${ABSOLUTE}${join(parent.prefix, d.address)}`, range: d.range }));
    for (const r of [...child.resources, ...(child.dataSources ?? [])]) {
      const address = `${prefix}.${r.address}`;
      const decl: { -readonly [K in keyof ResourceDecl]: ResourceDecl[K] } = {
        ...r,
        address,
        body: rewriteBody(r.body, inModule),
        dependsOn: [...r.dependsOn.map((d) => ({ address: `${prefix}.${d.address}`, range: d.range })), ...callDepends],
        lifecycle: moduleLifecycle(r.lifecycle, prefix, inModule),
      };
      if (r.forEach) decl.forEach = rewrite(r.forEach, inModule);
      if (r.count) decl.count = rewrite(r.count, inModule);
      (r.mode === 'data' ? out.dataSources : out.resources).push(decl);
      resources.push(address);
    }
    if (child.modules) {
      const childScope = expansionScope(child, values, env);
      const before = out.resources.length;
      const dataBefore = out.dataSources.length;
      for (const inner of child.modules.values()) {
        // A call's depends_on holds for everything inside it, nested calls included.
        flattenCall(call.dependsOn.length ? { ...inner, dependsOn: [...inner.dependsOn, ...callDepends] } : inner, inModule, childScope, env, out);
      }
      for (let i = before; i < out.resources.length; i++) resources.push(out.resources[i].address);
      for (let i = dataBefore; i < out.dataSources.length; i++) resources.push(out.dataSources[i].address);
    }
  }
  out.calls.set(callAddress, { mode: call.forEach ? 'for_each' : call.count ? 'count' : 'single', instances, resources });
}

/**
 * A module resource's lifecycle with what it refers to rewritten into the module instance:
 * blue-green options, pre- and postconditions (`self` stays the instance itself), and the
 * resources `replace_triggered_by` names (`test_instance.a` is `module.m["k"].test_instance.a`).
 */
function moduleLifecycle(lifecycle: Lifecycle, prefix: string, inModule: Rewrite): Lifecycle {
  const { blueGreen, preconditions, postconditions, replaceTriggeredBy } = lifecycle;
  return {
    ...lifecycle,
    ...(blueGreen ? { blueGreen: { ...blueGreen, options: new Map([...blueGreen.options].map(([k, e]) => [k, rewrite(e, inModule)])) } } : {}),
    ...(preconditions ? { preconditions: preconditions.map((rule) => rewriteRule(rule, inModule)) } : {}),
    ...(postconditions ? { postconditions: postconditions.map((rule) => rewriteRule(rule, inModule)) } : {}),
    ...(replaceTriggeredBy
      ? { replaceTriggeredBy: replaceTriggeredBy.map((t) => ({ ...t, block: `${prefix}.${t.block}`, ...(t.index ? { index: rewrite(t.index, inModule) } : {}) })) }
      : {}),
  };
}

function rewriteRule(rule: ConditionRule, rw: Rewrite): ConditionRule {
  return { ...rule, condition: rewrite(rule.condition, rw), errorMessage: rewrite(rule.errorMessage, rw) };
}

/**
 * Marks a depends_on address that is already complete: a call's depends_on, handed down to the
 * resources and nested calls inside it, is meant from the calling module.
 */
const ABSOLUTE = '\u0000';

function evaluateQuietly(expr: Expr, scope: EvalScope): Value {
  const r = evaluateExpr(expr, scope);
  return r.diagnostics.length > 0 ? UNKNOWN : r.value;
}

/** The instances of a call, or null (with a diagnostic) when they cannot be decided here. */
function callInstances(call: ModuleCallDecl, address: string, parent: Rewrite, scope: EvalScope, out: Output): InstanceKey[] | null | 'unknown' {
  if (!call.forEach && !call.count) return [{ index: null }];
  let r = expandInstances(call, scope);
  const given = out.given.get(address);
  if (r.diagnostics.length === 0 && 'unknown' in r.value && given) return givenKeys(given);
  if (r.diagnostics.length === 0 && 'unknown' in r.value && out.planned) {
    // The same expression in flattened names (var.X of a module instance is its local), evaluated with what the planner knows.
    const flat = { ...call, ...(call.forEach ? { forEach: rewrite(call.forEach, parent) } : {}), ...(call.count ? { count: rewrite(call.count, parent) } : {}) };
    const again = expandInstances(flat, out.planned);
    // A reference to a module instance's resource that the planned values do not have yet (its
    // call was decided in this round) is unknown until the next round; the last round reports it.
    if (again.diagnostics.length === 0 || out.unknownInstances === 'error') r = again;
    if (r === again && r.diagnostics.length === 0 && !('unknown' in r.value)) out.usedPlanned.value = true;
  }
  if (r.diagnostics.length === 0 && !('unknown' in r.value)) {
    // Every call is recorded, those decided from variables too: inside a call decided from planned values, their variables may be unknown without them.
    const keys = r.value.keys;
    out.decided.push({ address, keys: keys.map((k) => k.index!), eachValue: keys.every((k) => !k.each || k.each.value === k.index) ? 'key' : 'element' });
  }
  for (const d of r.diagnostics) parent.diags.push(d);
  if (r.diagnostics.length > 0) return null;
  if ('unknown' in r.value) {
    if (out.unknownInstances === 'unknown') return 'unknown';
    // Terraform's wording (with infra for Terraform).
    parent.diags.push(
      call.forEach
        ? error(
            'Invalid for_each argument',
            'The "for_each" set includes values derived from resource attributes that cannot be determined until apply, and so infra cannot determine the full set of keys that will identify the instances of this module.\n\nWhen working with unknown values in for_each, it\'s better to use a map value where the keys are defined statically in your configuration and where only the values contain apply-time results.\n\nAlternatively, you could use the -target planning option to first apply only the resources that the for_each value depends on, and then apply a second time to fully converge.',
            call.forEach.range,
          )
        : error(
            'Invalid count argument',
            'The "count" value depends on resource attributes that cannot be determined until apply, so infra cannot predict how many instances will be created. To work around this, use the -target argument to first apply only the resources that the count depends on.',
            call.count!.range,
          ),
    );
    return null;
  }
  return r.value.keys;
}

/** The instance keys of a call as a plan decided them; each.value (an element) is read from the for_each expression. */
function givenKeys(given: DecidedModuleInstances): InstanceKey[] {
  return given.keys.map((k): InstanceKey => (typeof k === 'number' ? { index: k, countIndex: k } : { index: k, each: { key: k, value: given.eachValue === 'key' ? k : UNKNOWN } }));
}

function keyExpr(index: string | number | null, range: SourceRange): Expr {
  if (typeof index === 'number') return { kind: 'Literal', value: index, range };
  return { kind: 'Template', parts: [{ kind: 'Text', value: index ?? '', range }], range };
}

function indexExpr(collection: Expr, index: string | number | null, range: SourceRange): Expr {
  return { kind: 'Index', object: { kind: 'Parens', expr: collection, range }, key: keyExpr(index, range), range };
}

/**
 * The `depends_on` of a resource with `module.X` entries replaced by the resource blocks of
 * that call (its instances and nested calls).
 */
function withModuleDependencies(r: ResourceDecl, calls: ReadonlyMap<string, ModuleCallInstances>): ResourceDecl {
  if (!r.dependsOn.some((d) => d.address.includes('module.') || d.address.startsWith(ABSOLUTE))) return r;
  const dependsOn: { address: string; range: SourceRange }[] = [];
  for (const d of r.dependsOn) {
    const address = d.address.startsWith(ABSOLUTE) ? d.address.slice(1) : d.address;
    const call = calls.get(address);
    if (call) for (const a of call.resources) dependsOn.push({ address: a, range: d.range });
    else dependsOn.push({ address, range: d.range });
  }
  return { ...r, dependsOn };
}

/** `body` with every expression rewritten (nested blocks included). */
function rewriteBody(body: Body, rw: Rewrite): Body {
  const items = new Array<Body['items'][number]>(body.items.length);
  for (let i = 0; i < items.length; i++) {
    const item = body.items[i];
    items[i] = item.kind === 'Attribute' ? { ...item, expr: rewrite(item.expr, rw) } : { ...item, body: item.body === null ? null : rewriteBody(item.body, rw) };
  }
  return { ...body, items };
}

/** Names bound by for-expressions around the expression being rewritten. */
type Bound = ReadonlySet<string>;

/**
 * `expr` as it reads inside module instance `rw.prefix`: `var.X`, `local.X` and outputs become
 * the flattened locals, `TYPE.NAME` the flattened resource, `module.X` the nested call,
 * `path.module` the module's directory. In the call's own arguments, `each` and `count.index`
 * become the call instance's.
 */
function rewrite(expr: Expr, rw: Rewrite, bound: Bound = NOTHING_BOUND): Expr {
  // No closures here: this runs for every node of every module instance's expressions.
  switch (expr.kind) {
    case 'Literal':
    case 'SplatItem':
      return expr;
    case 'Variable':
      return expr;
    case 'Template':
      return { ...expr, parts: rewriteParts(expr.parts, rw, bound) };
    case 'GetAttr': {
      const o = expr.object;
      // `data.TYPE.NAME` is the instance's data block: `module.m["k"].data.TYPE` . NAME, as a resource reads.
      if (rw.prefix !== '' && o.kind === 'GetAttr' && o.object.kind === 'Variable' && o.object.name === 'data' && !bound.has('data')) {
        return { ...expr, object: { kind: 'Variable', name: `${rw.prefix}.data.${o.name}`, range: o.range } };
      }
      if (o.kind === 'Variable' && !bound.has(o.name)) return rewriteRoot(o.name, o.range, expr.name, expr, rw);
      return { ...expr, object: rewrite(o, rw, bound) };
    }
    case 'Index':
      return { ...expr, object: rewrite(expr.object, rw, bound), key: rewrite(expr.key, rw, bound) };
    case 'Splat':
      return { ...expr, object: rewrite(expr.object, rw, bound), each: rewrite(expr.each, rw, bound) };
    case 'Call':
      return { ...expr, args: rewriteAll(expr.args, rw, bound) };
    case 'Tuple':
      return { ...expr, items: rewriteAll(expr.items, rw, bound) };
    case 'Object': {
      const items = new Array<(typeof expr.items)[number]>(expr.items.length);
      for (let i = 0; i < items.length; i++) {
        const item = expr.items[i];
        items[i] = { ...item, key: rewrite(item.key, rw, bound), value: rewrite(item.value, rw, bound) };
      }
      return { ...expr, items };
    }
    case 'Unary':
      return { ...expr, operand: rewrite(expr.operand, rw, bound) };
    case 'Binary':
      return { ...expr, left: rewrite(expr.left, rw, bound), right: rewrite(expr.right, rw, bound) };
    case 'Conditional':
      return { ...expr, condition: rewrite(expr.condition, rw, bound), then: rewrite(expr.then, rw, bound), else: rewrite(expr.else, rw, bound) };
    case 'Parens':
      return { ...expr, expr: rewrite(expr.expr, rw, bound) };
    case 'ForTuple':
    case 'ForObject': {
      const inner = new Set(bound);
      if (expr.keyVar) inner.add(expr.keyVar);
      inner.add(expr.valueVar);
      const condition = expr.condition ? { condition: rewrite(expr.condition, rw, inner) } : {};
      if (expr.kind === 'ForTuple') return { ...expr, collection: rewrite(expr.collection, rw, bound), value: rewrite(expr.value, rw, inner), ...condition };
      return { ...expr, collection: rewrite(expr.collection, rw, bound), key: rewrite(expr.key, rw, inner), value: rewrite(expr.value, rw, inner), ...condition };
    }
  }
}

const NOTHING_BOUND: Bound = new Set();

function rewriteAll(exprs: readonly Expr[], rw: Rewrite, bound: Bound): Expr[] {
  const out = new Array<Expr>(exprs.length);
  for (let i = 0; i < exprs.length; i++) out[i] = rewrite(exprs[i], rw, bound);
  return out;
}

function rewriteParts(parts: readonly TemplatePart[], rw: Rewrite, bound: Bound): TemplatePart[] {
  const out = new Array<TemplatePart>(parts.length);
  for (let i = 0; i < parts.length; i++) out[i] = rewritePart(parts[i], rw, bound);
  return out;
}

function rewritePart(p: TemplatePart, rw: Rewrite, bound: Bound): TemplatePart {
  switch (p.kind) {
    case 'Text':
      return p;
    case 'Interpolation':
      return { ...p, expr: rewrite(p.expr, rw, bound) };
    case 'If':
      return { ...p, condition: rewrite(p.condition, rw, bound), then: rewriteParts(p.then, rw, bound), else: rewriteParts(p.else, rw, bound) };
    case 'For': {
      const inner = new Set(bound);
      if (p.keyVar) inner.add(p.keyVar);
      inner.add(p.valueVar);
      return { ...p, collection: rewrite(p.collection, rw, bound), body: rewriteParts(p.body, rw, inner) };
    }
  }
}

const addressCache = new WeakMap<Config, ReadonlySet<string>>();

/** The resource block addresses a module declares (within the module), computed once per module. */
function resourceAddresses(config: Config): ReadonlySet<string> {
  let set = addressCache.get(config);
  if (!set) addressCache.set(config, (set = new Set(config.resources.map((r) => r.address))));
  return set;
}

function localRef(name: string, rootRange: SourceRange, whole: Extract<Expr, { kind: 'GetAttr' }>): Expr {
  return { ...whole, object: { kind: 'Variable', name: 'local', range: rootRange }, name };
}

function rewriteRoot(root: string, rootRange: SourceRange, name: string, whole: Extract<Expr, { kind: 'GetAttr' }>, rw: Rewrite): Expr {
  if (root === 'each' && rw.each) return name === 'key' ? rw.each.key : name === 'value' ? rw.each.value : whole;
  if (root === 'count' && rw.countIndex && name === 'index') return rw.countIndex;
  if (rw.prefix === '') return whole;
  switch (root) {
    case 'var':
      if (!rw.config.variables.has(name)) {
        rw.diags.push(
          error(
            'Reference to undeclared input variable',
            `An input variable with the name "${name}" has not been declared.${didYouMean(name, rw.config.variables.keys()) ? ` ${didYouMean(name, rw.config.variables.keys())}` : ` This variable can be declared with a variable "${name}" {} block.`}`,
            whole.range,
          ),
        );
      }
      return localRef(`${rw.prefix}.var.${name}`, rootRange, whole);
    case 'local':
      if (!rw.config.locals.has(name)) {
        rw.diags.push(error('Reference to undeclared local value', `A local value with the name "${name}" has not been declared.${didYouMean(name, rw.config.locals.keys()) ? ` ${didYouMean(name, rw.config.locals.keys())}` : ''}`, whole.range));
      }
      return localRef(`${rw.prefix}.local.${name}`, rootRange, whole);
    case 'path':
      if (name === 'module') return { kind: 'Template', parts: [{ kind: 'Text', value: rw.config.dir, range: whole.range }], range: whole.range };
      return whole;
    case 'each':
    case 'count':
    case 'self':
    case 'data':
      return whole;
    case 'module':
      if (!rw.config.modules?.has(name)) {
        rw.diags.push(error('Reference to undeclared module', `No module call named "${name}" is declared in this module.${didYouMean(name, rw.config.modules?.keys() ?? []) ? ` ${didYouMean(name, rw.config.modules?.keys() ?? [])}` : ''}`, whole.range));
      }
      return { ...whole, object: { kind: 'Variable', name: `${rw.prefix}.module`, range: rootRange } };
    default: {
      const address = `${root}.${name}`;
      if (root !== 'data' && !resourceAddresses(rw.config).has(address)) {
        const hint = didYouMean(address, rw.config.resources.map((r) => r.address));
        rw.diags.push(error('Reference to undeclared resource', `A resource "${root}" "${name}" has not been declared in ${rw.prefix}.${hint ? ` ${hint}` : ''}`, whole.range));
      }
      return { ...whole, object: { kind: 'Variable', name: `${rw.prefix}.${root}`, range: rootRange } };
    }
  }
}
