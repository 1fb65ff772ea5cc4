/**
 * One benchmark case, run in a process of its own so its peak memory is its own:
 *   node --import=tsx/esm bench/case.ts CASE N
 * prints one JSON line { ms, maxRssMb, ... }.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateChainConfig, generateConfig, generateModuleConfig } from './generate.js';
import { flattenModules } from '../src/evaluate/modules.js';
import { loadConfig } from '../src/config/load.js';
import { tuneV8ForCommand } from '../src/v8-tuning.js';
import { parseFile, parseFileWithGrammar } from '../src/parser/index.js';
import { hasErrors } from '../src/diagnostics.js';
import { plan, storedForm } from '../src/planner/planner.js';
import { ValueScope } from '../src/planner/scope.js';
import { decodeBody, expandInstances, instanceScope } from '../src/evaluate/resource.js';
import { apply } from '../src/apply/apply.js';
import { typeInfo, planBasis } from '../src/commands/session.js';
import { allTypeNames, loadProvider } from '../src/providers/registry.js';
import { StateStore, emptyState } from '../src/state/store.js';
import { RecordingProvider } from '../test/support/recording-provider.js';
import type { StateFile } from '../src/state/types.js';
import type { Config } from '../src/config/types.js';
import { Unknown, type Value } from '../src/evaluate/value.js';

// The process is set up as the `infra` binary sets itself up (bin/infra.js).
tuneV8ForCommand();

const [caseName, nText] = process.argv.slice(2);
const n = Number(nText);

function peakMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function writeConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'infra-bench-'));
  writeFileSync(join(dir, 'main.infra'), text);
  return dir;
}

async function run(): Promise<Record<string, number | string>> {
  const recorder = new RecordingProvider();
  recorder.register();
  const provider = await loadProvider('test');
  const providers = new Map([['test', provider]]);
  if (caseName === 'parse-evaluate') {
    // Parse and evaluate every resource's arguments (references to resources are unknown, as in
    // `infra validate`); planning is measured on its own below. The first run is what a command
    // sees (a fresh process: the JIT compiler is still warming up); the second, on another copy
    // of the text in the same process, shows the steady state.
    const types = typeInfo(providers);
    const once = (): { ms: number; parseMs: number; evaluateMs: number; resources: number } => {
      const dir = writeConfig(generateConfig(n));
      const t0 = performance.now();
      const loaded = loadConfig(dir, { cwd: dir });
      if (!loaded.config || hasErrors(loaded.diagnostics)) throw new Error(loaded.diagnostics.map((d) => d.summary).join('\n'));
      const t1 = performance.now();
      const config = loaded.config;
      const evaluated = evaluateAll(config, new Map([['version', 'v1']]), types);
      const t2 = performance.now();
      rmSync(dir, { recursive: true, force: true });
      return { ms: t2 - t0, parseMs: t1 - t0, evaluateMs: t2 - t1, resources: evaluated };
    };
    const first = once();
    const maxRssMb = peakMb();
    const second = once();
    return { ...first, maxRssMb, warmMs: second.ms };
  }
  if (caseName === 'parse-evaluate-modules') {
    // As parse-evaluate, with the resources in N / 100 instances of one module of 100 resources
    // each (a for_each module call): loading the module, flattening the calls, evaluating.
    const types = typeInfo(providers);
    const once = (): { ms: number; parseMs: number; evaluateMs: number; resources: number } => {
      const generated = generateModuleConfig(Math.max(1, Math.round(n / 100)), 100);
      const dir = writeConfig(generated.root);
      mkdirSync(join(dir, 'mod'));
      writeFileSync(join(dir, 'mod', 'main.infra'), generated.module);
      const t0 = performance.now();
      const loaded = loadConfig(dir, { cwd: dir });
      if (!loaded.config || hasErrors(loaded.diagnostics)) throw new Error(loaded.diagnostics.map((d) => d.summary).join('\n'));
      const variables = new Map([['version', 'v1']]);
      const tLoaded = performance.now();
      const flat = flattenModules(loaded.config, variables, {});
      flattenMs = performance.now() - tLoaded;
      if (hasErrors(flat.diagnostics)) throw new Error(flat.diagnostics.map((d) => d.summary).join('\n'));
      const t1 = performance.now();
      const config = flat.value;
      const evaluated = evaluateAll(config, variables, types);
      const t2 = performance.now();
      rmSync(dir, { recursive: true, force: true });
      return { ms: t2 - t0, parseMs: t1 - t0, evaluateMs: t2 - t1, resources: evaluated };
    };
    let flattenMs = 0;
    const first = once();
    const firstFlattenMs = flattenMs;
    const maxRssMb = peakMb();
    const second = once();
    return { ...first, flattenMs: firstFlattenMs, maxRssMb, warmMs: second.ms };
  }
  if (caseName === 'parse-only' || caseName === 'parse-grammar') {
    // Parsing alone in a fresh process: the fast path as `infra` parses, or the chevrotain
    // grammar alone (what every file would cost without the fast path).
    const text = generateConfig(n);
    const t0 = performance.now();
    const r = caseName === 'parse-only' ? parseFile('main.infra', text) : parseFileWithGrammar('main.infra', text);
    const ms = performance.now() - t0;
    if (r.diagnostics.length > 0) throw new Error(r.diagnostics.map((d) => d.summary).join('\n'));
    return { ms, maxRssMb: peakMb() };
  }
  if (caseName === 'hcl2json') {
    const text = generateConfig(n);
    const { parse } = await import('@cdktf/hcl2json');
    await parse('warmup.tf', 'a = 1');
    const t0 = performance.now();
    await parse('main.tf', text);
    return { ms: performance.now() - t0, maxRssMb: peakMb() };
  }
  if (caseName === 'plan-setup') {
    // A state that matches the configuration, as an apply would leave it: plan, take the planned
    // values with every unknown filled in, and repeat until nothing changes (values computed by
    // one resource flow into the next). `chain` after N: resources that each refer to the one before.
    const dir = writeConfig(process.argv[4] === 'chain' ? generateChainConfig(n) : generateConfig(n));
    const loaded = loadConfig(dir, { cwd: dir });
    const config = loaded.config!;
    const variables = new Map([['version', 'v1']]);
    const planWith = (state: StateFile) =>
      plan({ config, variables, state, drift: [], types: typeInfo(providers), typeNames: allTypeNames(), mode: 'normal', targets: [], env: {}, basis: planBasis(config, state, new Map()) });
    const fill = (v: unknown, path: string): unknown => {
      if (v instanceof Unknown) return `computed:${path}`;
      if (Array.isArray(v)) return v.map((x, i) => fill(x, `${path}[${i}]`));
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, `${path}.${k}`)]));
      return v;
    };
    const now = new Date().toISOString();
    let state: StateFile = { ...emptyState(), serial: 1, lineage: 'bench' };
    for (let i = 0; i < 4; i++) {
      const p = planWith(state).plan!;
      if (p.steps.length === 0) break;
      state = {
        ...state,
        resources: p.changes.map((c) => ({
          address: c.address, type: c.type, name: c.name, index: c.index, provider: 'test', role: c.role, status: 'ready' as const,
          generation: c.plannedGeneration, color: null, live: true, attributes: fill(storedForm(c.after as Value), c.address) as Record<string, never>,
          sensitive_attributes: {}, dependencies: [...c.dependencies], created_at: now, updated_at: now,
        })),
      };
    }
    writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
    return { ms: 0, dir };
  }
  if (caseName === 'plan') {
    // In a process of its own, so the peak memory is the plan's: read the configuration and the
    // matching state that plan-setup wrote, then plan (a destroy plan with `destroy` after DIR).
    const dir = process.argv[4];
    const mode = process.argv[5] === 'destroy' ? 'destroy' : 'normal';
    const t0 = performance.now();
    const loaded = loadConfig(dir, { cwd: dir });
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as StateFile;
    const t1 = performance.now();
    const config = loaded.config!;
    const r = plan({ config, variables: new Map([['version', 'v1']]), state, drift: [], types: typeInfo(providers), typeNames: allTypeNames(), mode, targets: [], env: {}, basis: planBasis(config, state, new Map()) });
    if (!r.plan) throw new Error(r.diagnostics.map((d) => d.summary).join('\n'));
    const t2 = performance.now();
    return { ms: t2 - t1, loadMs: t1 - t0, steps: r.plan!.steps.length, changes: r.plan!.changes.length, maxRssMb: peakMb() };
  }
  if (caseName === 'apply') {
    const text = Array.from({ length: n }, (_, i) => `resource "test_instance" "r${i}" {\n  name = "r${i}"\n}\n`).join('\n');
    const dir = writeConfig(text);
    const loaded = loadConfig(dir, { cwd: dir });
    const store = (await StateStore.open(join(dir, 'infra.state.json'), { operation: 'apply' })).store!;
    await store.update((s) => s);
    const r = plan({ config: loaded.config!, variables: new Map(), state: store.state, drift: [], types: typeInfo(providers), typeNames: allTypeNames(), mode: 'normal', targets: [], env: {}, basis: planBasis(loaded.config!, store.state, new Map()) });
    recorder.latencyMs = 100;
    const t0 = performance.now();
    const res = await apply({ plan: r.plan!, config: loaded.config!, variables: new Map(), env: {}, store, types: (t) => typeInfo(providers)(t)!, providers, providerConfigs: new Map(), stateDir: dir, parallelism: 10 });
    const ms = performance.now() - t0;
    await store.release();
    rmSync(dir, { recursive: true, force: true });
    if (!res.ok) throw new Error(res.diagnostics.map((d) => d.summary).join('\n'));
    return { ms, steps: r.plan!.steps.length, serial: store.state.serial, maxRssMb: peakMb() };
  }
  throw new Error(`unknown case ${caseName}`);
}

run().then(
  (r) => process.stdout.write(JSON.stringify(r) + '\n'),
  (e) => {
    process.stderr.write(String(e?.stack ?? e) + '\n');
    process.exitCode = 1;
  },
);

/** Evaluates every instance of every resource of `config` against its type's schema; how many. */
function evaluateAll(config: Config, variables: ReadonlyMap<string, Value>, types: ReturnType<typeof typeInfo>): number {
  const scope = new ValueScope({ config, variables, env: {} }, new Map()).scope;
  let evaluated = 0;
  for (const decl of config.resources) {
    const keys = expandInstances(decl, scope).value;
    if ('unknown' in keys) continue;
    for (const key of keys.keys) {
      const r = decodeBody(decl.body, types(decl.type)!.schema, instanceScope(scope, key));
      if (hasErrors(r.diagnostics)) throw new Error(r.diagnostics.map((d) => d.summary).join('\n'));
      evaluated++;
    }
  }
  return evaluated;
}
