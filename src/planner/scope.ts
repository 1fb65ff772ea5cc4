/**
 * Evaluation scopes over a set of resource instance values, shared by the planner (planned
 * values, with unknowns) and apply (real values as steps complete). The scope also records which
 * instances an expression actually read, which is how instance-level dependency edges are found.
 */
import type { Config, ModuleCallInstances, ResourceDecl } from '../config/types.js';
import type { Result } from '../diagnostics.js';
import { type EvalScope } from '../evaluate/evaluate.js';
import { createLocals, declaredNames } from '../evaluate/locals.js';
import { instanceAddress } from '../evaluate/resource.js';
import { UNKNOWN, type ObjectValue, type Value } from '../evaluate/value.js';

export type InstanceIndex = string | number | null;

/** The instances of one resource block, by index, with their current attribute values. */
export interface BlockValues {
  readonly decl: ResourceDecl;
  readonly instances: Map<InstanceIndex, ObjectValue>;
}

/** Receives the address of every instance an evaluation reads. */
export type ReadRecorder = (instanceAddress: string) => void;

/**
 * The value a reference `TYPE.NAME` evaluates to: the object of a single instance, a list for
 * `count`, a map for `for_each`. Reads through it are reported to `record`, per instance where
 * the expression picks one (`local_host.ns["ns1"]`) and for all where it iterates.
 */
export function resourceValue(block: BlockValues, record: ReadRecorder): Value {
  const { decl, instances } = block;
  if (!decl.forEach && !decl.count) {
    const only = instances.get(null);
    if (only === undefined) return UNKNOWN;
    record(decl.address);
    return only;
  }
  const all = (): void => {
    for (const index of instances.keys()) record(instanceAddress(decl, index));
  };
  if (decl.count) {
    const list: ObjectValue[] = [];
    for (const [index, v] of instances) if (typeof index === 'number') list[index] = v;
    return new Proxy(list, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && /^\d+$/.test(prop)) record(instanceAddress(decl, Number(prop)));
        return Reflect.get(target, prop, receiver);
      },
      ownKeys(target) {
        all();
        return Reflect.ownKeys(target);
      },
    });
  }
  const map: Record<string, ObjectValue> = {};
  for (const key of [...instances.keys()].sort()) if (typeof key === 'string') map[key] = instances.get(key)!;
  const one = (prop: string | symbol): void => {
    if (typeof prop === 'string' && Object.prototype.hasOwnProperty.call(map, prop)) record(instanceAddress(decl, prop));
  };
  return new Proxy(map, {
    get(target, prop, receiver) {
      one(prop);
      return Reflect.get(target, prop, receiver);
    },
    has(target, prop) {
      one(prop);
      return Reflect.has(target, prop);
    },
    getOwnPropertyDescriptor(target, prop) {
      one(prop);
      return Reflect.getOwnPropertyDescriptor(target, prop);
    },
    ownKeys(target) {
      all();
      return Reflect.ownKeys(target);
    },
  });
}

/** Everything a scope needs besides the instance values. */
export interface ScopeBase {
  readonly config: Config;
  readonly variables: ReadonlyMap<string, Value>;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * A scope whose resource references resolve to `blocks`. Locals are evaluated lazily in this
 * scope (they may refer to resources) and memoised for its lifetime; reads made through a
 * local are recorded against whatever recorder is current when the local is first evaluated,
 * so the planner creates one scope per pass and records through `setRecorder`.
 */
export class ValueScope {
  private recorder: ReadRecorder = () => {};
  readonly scope: EvalScope;
  private readonly localReads = new Map<string, Set<string>>();
  /** Addresses of every resource block: one not evaluated yet is unknown, not undeclared. */
  private readonly declared: ReadonlySet<string>;

  constructor(
    readonly base: ScopeBase,
    readonly blocks: ReadonlyMap<string, BlockValues>,
  ) {
    this.declared = declaredBlocks(base.config);
    const withoutLocals: EvalScope = {
      configDir: base.config.dir,
      variables: base.variables,
      env: base.env,
      local: () => undefined,
      resource: (type, name) => this.lookup(type, name),
      names: declaredNames(base.config),
    };
    const locals = createLocals(base.config, withoutLocals);
    // A local's reads are remembered so that every later user of the memoised value is
    // charged with them too, not just the first.
    const local = (name: string): Result<Value> | undefined => {
      let reads = this.localReads.get(name);
      if (!reads) {
        reads = new Set();
        this.localReads.set(name, reads);
        const outer = this.recorder;
        const mine = reads;
        this.recorder = (a) => {
          mine.add(a);
          outer(a);
        };
        try {
          return locals(name);
        } finally {
          this.recorder = outer;
        }
      }
      for (const a of reads) this.recorder(a);
      return locals(name);
    };
    this.scope = { ...withoutLocals, local };
  }

  private lookup(type: string, name: string): Value | undefined {
    const address = this.address(type, name);
    const call = this.base.config.moduleCalls?.get(address);
    if (call) return this.moduleValue(call);
    const block = this.blocks.get(address);
    if (!block) return this.declared.has(address) ? UNKNOWN : undefined;
    return resourceValue(block, (a) => this.recorder(a));
  }

  /** `type.name`, built once per pair: a reference is looked up once per instance that makes it. */
  private address(type: string, name: string): string {
    let names = this.addresses.get(type);
    if (names === undefined) this.addresses.set(type, (names = new Map()));
    let address = names.get(name);
    if (address === undefined) names.set(name, (address = `${type}.${name}`));
    return address;
  }
  private readonly addresses = new Map<string, Map<string, string>>();

  /**
   * The value of `module.NAME`: an object of the outputs (a list of them for count, an object of
   * them by key for for_each). Outputs are evaluated when read, each once, so an expression
   * that reads one output of one instance is charged with that output's reads only.
   */
  private moduleValue(call: ModuleCallInstances): Value {
    if (call.unknown) return UNKNOWN;
    const instance = (outputs: ReadonlyMap<string, string>): ObjectValue =>
      lazyObject([...outputs.keys()], (output) => this.scope.local(outputs.get(output)!)?.value ?? UNKNOWN);
    if (call.mode === 'single') return instance(call.instances.get(null) ?? new Map());
    if (call.mode === 'count') {
      const list: Value[] = [];
      for (const [k, outputs] of call.instances) if (typeof k === 'number') list[k] = instance(outputs);
      return list;
    }
    const keys = [...call.instances.keys()].filter((k): k is string => typeof k === 'string').sort();
    return lazyObject(keys, (k) => instance(call.instances.get(k)!));
  }

  /** Runs `fn`, returning its result and the instance addresses it read. */
  recording<T>(fn: () => T): { result: T; reads: Set<string> } {
    const reads = new Set<string>();
    const outer = this.recorder;
    this.recorder = (a) => {
      reads.add(a);
      outer(a);
    };
    try {
      return { result: fn(), reads };
    } finally {
      this.recorder = outer;
    }
  }
}

/** An object whose members are computed on first read (and kept). */
function lazyObject(keys: readonly string[], compute: (key: string) => Value): ObjectValue {
  const target: Record<string, Value> = {};
  for (const k of keys) target[k] = null;
  const done = new Map<string, Value>();
  const get = (k: string): Value => {
    let v = done.get(k);
    if (v === undefined && !done.has(k)) done.set(k, (v = compute(k)));
    return v as Value;
  };
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop === 'string' && Object.hasOwn(t, prop)) return get(prop);
      return Reflect.get(t, prop, receiver);
    },
    getOwnPropertyDescriptor(t, prop) {
      if (typeof prop === 'string' && Object.hasOwn(t, prop)) return { value: get(prop), writable: true, enumerable: true, configurable: true };
      return Reflect.getOwnPropertyDescriptor(t, prop);
    },
  }) as ObjectValue;
}

const declaredCache = new WeakMap<Config, ReadonlySet<string>>();

/** Addresses of a configuration's resource and data blocks, computed once per configuration. */
function declaredBlocks(config: Config): ReadonlySet<string> {
  let set = declaredCache.get(config);
  if (!set) {
    set = new Set([...config.resources, ...(config.dataSources ?? [])].map((r) => r.address));
    declaredCache.set(config, set);
  }
  return set;
}
