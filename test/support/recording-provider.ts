/**
 * A provider for engine tests: it records every call, keeps its "cloud" in memory or in a JSON
 * file (so a CLI child process and the test see the same world), and fails, waits or kills the
 * process where a test tells it to. Objects are keyed by address and generation, so a delete
 * finds what an interrupted create made even when state holds only the intent.
 */
import { readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import type { Diagnostic } from '../../src/diagnostics.js';
import { error } from '../../src/diagnostics.js';
import type { Json } from '../../src/evaluate/value.js';
import { containsUnknown, isUnknown } from '../../src/evaluate/value.js';
import type { OperationContext, OrphanFinder, PlanRequest, PlanResponse, Provider, ResourceType, ResourceTypeSchema } from '../../src/providers/contract.js';
import { type ProviderEntry, registerProvider, resetLoadedProviders, unregisterProvider } from '../../src/providers/registry.js';

export type Op = 'read' | 'create' | 'update' | 'delete' | 'verify' | 'drained' | 'retire';

export interface Call {
  readonly op: Op;
  readonly type: string;
  readonly address: string;
  readonly generation: number;
  readonly config?: Readonly<Record<string, Json>>;
  readonly passed?: boolean;
}

/** Decides whether a call fails: return a message to fail it. */
export type FailRule = (call: Call) => string | undefined;

export interface WorldObject {
  readonly type: string;
  readonly address: string;
  readonly generation: number;
  readonly attributes: Record<string, Json>;
}

interface WorldFile {
  objects: Record<string, WorldObject>;
  nextId: number;
  calls: Call[];
}

export const testSchemas: Record<string, ResourceTypeSchema> = {
  test_instance: {
    description: 'A machine in the test cloud',
    role: 'instance',
    attributes: {
      name: { type: 'string', description: 'name', optional: true },
      image: { type: 'string', description: 'image', optional: true, forcesReplacement: true },
      size: { type: 'string', description: 'size (in place)', optional: true },
      secret: { type: 'string', description: 'a secret', optional: true, sensitive: true, forcesReplacement: true },
      id: { type: 'string', description: 'id', computed: true },
      ipv4: { type: 'string', description: 'address', computed: true },
    },
  },
  test_provision: {
    description: 'Provisions a test machine',
    role: 'provision',
    attributes: {
      host: { type: 'any', description: 'host', required: true },
      script: { type: 'string', description: 'what to run', optional: true },
      checksum: { type: 'string', description: 'of script', computed: true },
    },
  },
  test_check: {
    description: 'Verifies a target',
    role: 'check',
    attributes: {
      target: { type: 'string', description: 'what to check', required: true },
      expect: { type: 'string', description: 'expected', optional: true },
    },
  },
  test_route: {
    description: 'Sends traffic to targets',
    role: 'route',
    attributes: {
      targets: { type: { list: 'string' }, description: 'where traffic goes', required: true },
      config: { type: 'string', description: 'rendered', computed: true },
    },
  },
  // A machine whose provider makes up a secret (as Linode makes a root password), for tests of
  // secrets that flow on inside whole-object references.
  test_server: {
    description: 'A machine with a provider-made root password',
    role: 'instance',
    attributes: {
      name: { type: 'string', description: 'name', optional: true },
      image: { type: 'string', description: 'image', optional: true, forcesReplacement: true },
      root_pass: { type: 'string', description: 'made up when not set', optional: true, computed: true, sensitive: true },
      id: { type: 'string', description: 'id', computed: true },
      ipv4: { type: 'string', description: 'address', computed: true },
    },
  },
  // A route that takes a whole machine object (as nginx_upstream takes its load balancer).
  test_balancer: {
    description: 'Sends traffic from a load balancer to servers',
    role: 'route',
    placement: 'lb',
    attributes: {
      lb: { type: 'any', description: 'the balancing machine', required: true },
      servers: { type: { list: 'string' }, description: 'where traffic goes', required: true },
      config: { type: 'string', description: 'rendered', computed: true },
    },
  },
  // A service address that the switch moves to the host it targets (as local_service_address).
  test_address: {
    description: 'An address that moves between hosts',
    role: 'route',
    movesAddress: 'address',
    attributes: {
      host: { type: 'any', description: 'the host the address is on', required: true },
      address: { type: 'string', description: 'the address', computed: true },
    },
  },
};

/** The recording provider and its controls. */
export class RecordingProvider {
  /** Milliseconds each operation takes. */
  latencyMs = 0;
  /** Per-operation latency overrides. */
  latency: Partial<Record<Op, number>> = {};
  fail: FailRule = () => undefined;
  /** A line the provider prints (through its context's log) when a call starts, if any. */
  print: (call: Call) => string | undefined = () => undefined;
  /** Called after an operation's effect, before it returns (used to kill the process). */
  afterEffect: (call: Call) => void = () => {};
  /**
   * Set to give routes `drained` and provisions `retire` (both recorded as calls); without it
   * they have neither, as before. A route answers "not drained" `busyPolls` times (Infinity:
   * never drains), saying `remaining`.
   */
  drain?: { busyPolls: number; remaining?: string };
  private mem: WorldFile = { objects: {}, nextId: 1, calls: [] };

  constructor(private readonly worldFile?: string) {}

  private load(): WorldFile {
    if (!this.worldFile) return this.mem;
    if (!existsSync(this.worldFile)) return { objects: {}, nextId: 1, calls: [] };
    return JSON.parse(readFileSync(this.worldFile, 'utf8')) as WorldFile;
  }

  private save(w: WorldFile): void {
    if (!this.worldFile) {
      this.mem = w;
      return;
    }
    writeFileSync(this.worldFile + '.tmp', JSON.stringify(w));
    renameSync(this.worldFile + '.tmp', this.worldFile);
  }

  get calls(): readonly Call[] {
    return this.load().calls;
  }

  get objects(): readonly WorldObject[] {
    return Object.values(this.load().objects);
  }

  /** Deletes an object behind the tool's back (drift). */
  deleteOutside(address: string): void {
    const w = this.load();
    for (const [k, o] of Object.entries(w.objects)) if (o.address === address) delete w.objects[k];
    this.save(w);
  }

  /** Deletes one copy (address and generation) behind the tool's back. */
  deleteCopyOutside(address: string, generation: number): void {
    const w = this.load();
    delete w.objects[`${address}#${generation}`];
    this.save(w);
  }

  /** Changes an object behind the tool's back (drift). */
  changeOutside(address: string, attrs: Record<string, Json>): void {
    const w = this.load();
    for (const o of Object.values(w.objects)) if (o.address === address) Object.assign(o.attributes, attrs);
    this.save(w);
  }

  resetCalls(): void {
    const w = this.load();
    w.calls = [];
    this.save(w);
  }

  private async op<T>(call: Call, ctx: OperationContext, effect: (w: WorldFile) => T): Promise<{ result: T | null; diagnostics: Diagnostic[] }> {
    const w0 = this.load();
    w0.calls.push(call);
    this.save(w0);
    const line = this.print(call);
    if (line !== undefined) ctx.log(line);
    const wait = this.latency[call.op] ?? this.latencyMs;
    if (wait > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    const message = this.fail(call);
    if (message) return { result: null, diagnostics: [error(`${call.op} ${call.address} failed`, message)] };
    const w = this.load();
    const result = effect(w);
    this.save(w);
    this.afterEffect(call);
    return { result, diagnostics: [] };
  }

  private typeImpl(type: string): ResourceType {
    const schema = testSchemas[type];
    const key = (address: string, generation: number): string => `${address}#${generation}`;
    const computed = (w: WorldFile, config: Readonly<Record<string, Json>>): Record<string, Json> => {
      if (type === 'test_instance') {
        const id = `i-${w.nextId++}`;
        return { id, ipv4: `10.0.0.${w.nextId}` };
      }
      if (type === 'test_server') {
        const id = `s-${w.nextId++}`;
        return { id, ipv4: `10.0.1.${w.nextId}`, root_pass: config.root_pass ?? `root password of ${id}` };
      }
      if (type === 'test_route') return { config: `upstream { ${(config.targets as string[]).join(' ')} }` };
      if (type === 'test_balancer') return { config: `upstream { ${(config.servers as string[]).join(' ')} }` };
      if (type === 'test_provision') return { checksum: `sum:${String(config.script ?? '')}` };
      return {};
    };
    return {
      schema,
      plan: (req: PlanRequest): PlanResponse => {
        if (type === 'test_route') {
          const t = req.config.targets;
          if (containsUnknown(t ?? null)) return { planned: {}, diagnostics: [] };
          return { planned: { config: `upstream { ${(t as string[]).join(' ')} }` }, diagnostics: [] };
        }
        if (type === 'test_balancer') {
          const t = req.config.servers;
          if (containsUnknown(t ?? null)) return { planned: {}, diagnostics: [] };
          return { planned: { config: `upstream { ${(t as string[]).join(' ')} }` }, diagnostics: [] };
        }
        if (type === 'test_provision') {
          const s = req.config.script;
          if (s !== undefined && isUnknown(s)) return { planned: {}, diagnostics: [] };
          return { planned: { checksum: `sum:${String(s ?? '')}` }, diagnostics: [] };
        }
        return { planned: {}, diagnostics: [] };
      },
      read: async (req, ctx) => {
        const r = await this.op({ op: 'read', type, address: req.address, generation: req.generation }, ctx, (w) => w.objects[key(req.address, req.generation)] ?? null);
        // A check has nothing of its own to read back: what it verified is what it is (one
        // verified inside a deploy unit has no object in the world at all).
        if (type === 'test_check' && r.diagnostics.length === 0) return { state: req.prior, diagnostics: r.diagnostics };
        if (type === 'test_server' && r.result && r.result.attributes.root_pass !== undefined) {
          const { root_pass: _told, ...rest } = r.result.attributes;
          void _told;
          return { state: rest, diagnostics: r.diagnostics };
        }
        return { state: r.result ? r.result.attributes : null, diagnostics: r.diagnostics };
      },
      create: async (req, ctx) => {
        const r = await this.op({ op: 'create', type, address: req.address, generation: req.generation, config: req.config }, ctx, (w) => {
          const attrs = { ...req.config, ...computed(w, req.config) };
          w.objects[key(req.address, req.generation)] = { type, address: req.address, generation: req.generation, attributes: attrs };
          return attrs;
        });
        if (type === 'test_check' && r.result) {
          const passed = this.fail({ op: 'verify', type, address: req.address, generation: req.generation, config: req.config }) === undefined;
          if (!passed) return { state: null, diagnostics: [error(`check ${req.address} failed`, 'verification failed')] };
        }
        return { state: r.result, diagnostics: r.diagnostics };
      },
      update: async (req, ctx) => {
        const r = await this.op({ op: 'update', type, address: req.address, generation: req.generation, config: req.config }, ctx, (w) => {
          const k = key(req.address, req.generation);
          const existing = w.objects[k];
          const attrs = { ...(existing?.attributes ?? req.prior), ...req.config, ...(type === 'test_route' || type === 'test_balancer' || type === 'test_provision' ? computed(w, req.config) : {}) };
          w.objects[k] = { type, address: req.address, generation: req.generation, attributes: attrs };
          // Like Linode, a made-up password is told only by create: later answers leave it out.
          if (type === 'test_server' && req.config.root_pass == null) {
            const { root_pass: _told, ...rest } = attrs;
            void _told;
            return rest;
          }
          return attrs;
        });
        return { state: r.result ?? req.prior, diagnostics: r.diagnostics };
      },
      delete: async (req, ctx) => {
        const r = await this.op({ op: 'delete', type, address: req.address, generation: req.generation }, ctx, (w) => {
          delete w.objects[key(req.address, req.generation)];
          return true;
        });
        return { diagnostics: r.diagnostics };
      },
      verify: async (req, ctx) => {
        const call: Call = { op: 'verify', type, address: req.address, generation: req.generation, config: req.config };
        const r = await this.op(call, ctx, () => true);
        const passed = r.diagnostics.length === 0;
        return { passed, details: passed ? `${req.address} ok` : `expected ${String(req.config.expect ?? 'ok')}`, diagnostics: [] };
      },
      ...(this.drain && schema.role === 'route'
        ? {
            drained: async (req, ctx) => {
              const polls = this.calls.filter((c) => c.op === 'drained' && c.address === req.address).length;
              const r = await this.op({ op: 'drained', type, address: req.address, generation: req.generation, config: req.previous }, ctx, () => polls >= this.drain!.busyPolls);
              if (r.result === null) return { drained: false, remaining: '', diagnostics: r.diagnostics };
              return { drained: r.result, remaining: r.result ? '' : (this.drain!.remaining ?? 'connections to the old servers'), diagnostics: [] };
            },
          }
        : {}),
      ...(this.drain && schema.role === 'provision'
        ? {
            retire: async (req, ctx) => {
              const r = await this.op({ op: 'retire', type, address: req.address, generation: req.generation, config: req.prior }, ctx, () => true);
              return { diagnostics: r.diagnostics };
            },
          }
        : {}),
    };
  }

  /** Set to give the provider the `state orphans` capability; none by default. */
  orphans?: OrphanFinder;

  /** The provider object for the registry. */
  provider(): Provider {
    return {
      name: 'test',
      description: 'recording test provider',
      configSchema: {},
      resourceTypes: Object.fromEntries(Object.keys(testSchemas).map((t) => [t, this.typeImpl(t)])),
      ...(this.orphans ? { orphans: this.orphans } : {}),
    };
  }

  /** Registers this provider as "test"; returns a function that unregisters it. */
  register(): () => void {
    const entry: ProviderEntry = { name: 'test', description: 'recording test provider', configSchema: {}, types: testSchemas, load: async () => this.provider() };
    registerProvider(entry);
    resetLoadedProviders();
    return () => {
      unregisterProvider('test');
      resetLoadedProviders();
    };
  }
}
