/**
 * One benchmark case, run in a process of its own so its peak memory is its own:
 *   node --import=tsx/esm bench/case.ts CASE N
 * prints one JSON line { ms, maxRssMb, ... }.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateConfig } from './generate.js';
import { loadConfig } from '../src/config/load.js';
import { hasErrors } from '../src/diagnostics.js';
import { plan } from '../src/planner/planner.js';
import { apply } from '../src/apply/apply.js';
import { typeInfo, planBasis } from '../src/commands/session.js';
import { allTypeNames, loadProvider } from '../src/providers/registry.js';
import { StateStore, emptyState } from '../src/state/store.js';
import { RecordingProvider } from '../test/support/recording-provider.js';
import type { StateFile } from '../src/state/types.js';

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
    const dir = writeConfig(generateConfig(n));
    const t0 = performance.now();
    const loaded = loadConfig(dir, { cwd: dir });
    if (!loaded.config || hasErrors(loaded.diagnostics)) throw new Error(loaded.diagnostics.map((d) => d.summary).join('\n'));
    const t1 = performance.now();
    const state = emptyState();
    const r = plan({ config: loaded.config, variables: new Map([['version', 'v1']]), state, drift: [], types: typeInfo(providers), typeNames: allTypeNames(), mode: 'normal', targets: [], env: {}, basis: planBasis(loaded.config, state, new Map()) });
    if (!r.plan) throw new Error(r.diagnostics.map((d) => d.summary).join('\n'));
    const t2 = performance.now();
    rmSync(dir, { recursive: true, force: true });
    return { ms: t2 - t0, parseMs: t1 - t0, evaluateMs: t2 - t1, resources: r.plan.changes.length, maxRssMb: peakMb() };
  }
  if (caseName === 'hcl2json') {
    const text = generateConfig(n);
    const { parse } = await import('@cdktf/hcl2json');
    await parse('warmup.tf', 'a = 1');
    const t0 = performance.now();
    await parse('main.tf', text);
    return { ms: performance.now() - t0, maxRssMb: peakMb() };
  }
  if (caseName === 'plan') {
    // A state that matches the configuration: the plan compares every instance and finds nothing to do.
    const dir = writeConfig(generateConfig(n));
    const loaded = loadConfig(dir, { cwd: dir });
    const first = plan({ config: loaded.config!, variables: new Map([['version', 'v1']]), state: emptyState(), drift: [], types: typeInfo(providers), typeNames: allTypeNames(), mode: 'normal', targets: [], env: {}, basis: planBasis(loaded.config!, emptyState(), new Map()) });
    const now = new Date().toISOString();
    let id = 0;
    const state: StateFile = {
      ...emptyState(),
      serial: 1,
      lineage: 'bench',
      resources: first.plan!.changes.map((c) => {
        const attrs: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(c.after!)) attrs[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && v.constructor.name === 'Unknown' ? `x${id++}` : v;
        return { address: c.address, type: c.type, name: c.name, index: c.index, provider: 'test', role: c.role, status: 'ready', generation: 0, color: null, live: true, attributes: attrs as never, sensitive_attributes: {}, dependencies: [...c.dependencies], created_at: now, updated_at: now };
      }),
    };
    const before = peakMb();
    const t0 = performance.now();
    const r = plan({ config: loaded.config!, variables: new Map([['version', 'v1']]), state, drift: [], types: typeInfo(providers), typeNames: allTypeNames(), mode: 'normal', targets: [], env: {}, basis: planBasis(loaded.config!, state, new Map()) });
    const ms = performance.now() - t0;
    rmSync(dir, { recursive: true, force: true });
    return { ms, steps: r.plan!.steps.length, changes: r.plan!.changes.length, maxRssMb: peakMb(), rssBeforeMb: before };
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
