/**
 * A small fixture builder for planner unit tests: a configuration (source text), a state (copies
 * built field by field) and the planner's other inputs, straight into `plan()` - no CLI, no
 * provider process, no refresh. Types are the recording provider's (`test_*`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAddress } from '../../src/addrs/address.js';
import { loadConfig } from '../../src/config/load.js';
import type { Diagnostic } from '../../src/diagnostics.js';
import { resolveVariables } from '../../src/evaluate/variables.js';
import { Unknown, type Json, type Value } from '../../src/evaluate/value.js';
import type { Plan } from '../../src/planner/plan.js';
import { type DataReadNeeded, type DataReadResult, type TypeInfo, plan, storedForm } from '../../src/planner/planner.js';
import { localDataSchemas } from '../../src/providers/local/schema.js';
import type { Role } from '../../src/providers/contract.js';
import { emptyState } from '../../src/state/store.js';
import { sortInstances } from '../../src/state/query.js';
import type { StateInstance } from '../../src/state/types.js';
import { testSchemas } from '../support/recording-provider.js';

/**
 * A blue-green `test_instance.web` (its image from `var.image`), verified by `test_check.web`
 * and reached through `test_route.web`; `extra` is more configuration after it.
 */
export function webConfig(extra = ''): string {
  return `
variable "image" {
  type    = string
  default = "debian12"
}

resource "test_instance" "web" {
  name  = "web"
  image = var.image

  lifecycle blue_green
}

resource "test_check" "web" {
  target = test_instance.web.ipv4
  expect = null
}

resource "test_route" "web" {
  targets = [test_instance.web.ipv4]
}
${extra}`;
}

/** A recorded copy; everything but the address has a default (a ready, live object of generation 0). */
/** webConfig with a provisioning of the web instance and a mutable `test_instance.db` beside it. */
export const WEB_AND_DB = webConfig(`
resource "test_provision" "web" {
  host   = test_instance.web
  script = "deploy"
}

resource "test_instance" "db" {
  name = "db"
}
`);

export interface CopyInit {
  readonly address: string;
  readonly generation?: number;
  readonly live?: boolean;
  readonly status?: StateInstance['status'];
  readonly attributes?: Readonly<Record<string, Json>>;
  readonly dependencies?: readonly string[];
}

/** A state record as apply writes it, with the role its `test_*` type has. */
export function copy(init: CopyInit): StateInstance {
  const a = parseAddress(init.address).value;
  if (!a) throw new Error(`bad address in a test state: ${init.address}`);
  const generation = init.generation ?? 0;
  const role: Role = testSchemas[a.type]?.role ?? 'instance';
  return {
    address: init.address,
    type: a.type,
    name: a.name,
    index: a.key,
    provider: 'test',
    role,
    status: init.status ?? 'ready',
    generation,
    color: generation === 0 ? null : generation % 2 === 1 ? 'blue' : 'green',
    live: init.live ?? true,
    attributes: init.attributes ?? {},
    sensitive_attributes: {},
    dependencies: init.dependencies ?? [],
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  };
}

export interface FixtureInit {
  /** The configuration: one file, `main.infra`. */
  readonly config: string;
  /** More files, by path relative to the configuration directory (modules: `modules/web/main.infra`). */
  readonly files?: Readonly<Record<string, string>>;
  readonly state?: readonly StateInstance[];
  readonly mode?: 'normal' | 'destroy' | 'rollback';
  readonly targets?: readonly string[];
  /** `-replace` addresses. */
  readonly replace?: readonly string[];
  /** `--var NAME=VALUE` strings. */
  readonly vars?: readonly string[];
  /** The time the plan is made for (ISO 8601), for kept copies' windows. */
  readonly now?: string;
  /** Data sources read before planning (their types are the local provider's: `local_file`). */
  readonly dataReads?: ReadonlyMap<string, DataReadResult>;
}

const TYPES: (t: string) => TypeInfo | undefined = (t) => (testSchemas[t] ? { provider: 'test', schema: testSchemas[t] } : undefined);

/** Plans `init`; throws with the diagnostics when the configuration itself does not load. */
export function planFixture(init: FixtureInit): { plan: Plan | null; diagnostics: Diagnostic[]; reads?: readonly DataReadNeeded[] } {
  const dir = mkdtempSync(join(tmpdir(), 'infra-planner-'));
  try {
    writeFileSync(join(dir, 'main.infra'), init.config);
    for (const [path, text] of Object.entries(init.files ?? {})) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const loaded = loadConfig(dir, { cwd: dir });
    if (!loaded.config) throw new Error(`fixture configuration does not load: ${loaded.diagnostics.map((d) => d.summary).join('; ')}`);
    const variables = resolveVariables(loaded.config, { vars: init.vars ?? [], varFiles: [], env: {}, cwd: dir });
    if (variables.diagnostics.length) throw new Error(`fixture variables: ${variables.diagnostics.map((d) => d.summary).join('; ')}`);
    return plan({
      config: loaded.config,
      variables: variables.value,
      state: { ...emptyState('test'), resources: sortInstances(init.state ?? []) },
      drift: [],
      types: TYPES,
      typeNames: Object.keys(testSchemas),
      dataTypes: (t) => (localDataSchemas[t] ? { provider: 'local', schema: localDataSchemas[t] } : undefined),
      dataTypeNames: Object.keys(localDataSchemas),
      ...(init.dataReads ? { dataReads: init.dataReads } : {}),
      mode: init.mode ?? 'normal',
      targets: init.targets ?? [],
      replace: init.replace ?? [],
      env: {},
      basis: { configHash: '', stateSerial: 0, stateLineage: null, variables: {} },
      ...(init.now ? { now: init.now } : {}),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The plan of `init`, which must have one. */
export function planOf(init: FixtureInit): Plan {
  const r = planFixture(init);
  if (!r.plan) throw new Error(`no plan: ${r.diagnostics.map((d) => `${d.summary} ${d.detail ?? ''}`).join('; ')}`);
  return r.plan;
}

/** Each step as `id <- after, after`, in order: the shape of a plan at a glance. */
export function stepLines(p: Plan): string[] {
  return p.steps.map((s) => (s.after.length ? `${s.id} <- ${s.after.join(', ')}` : s.id));
}

/**
 * Every unknown in `v` filled in as a provider would, by the attribute's own name
 * (`computed:ipv4`), so a copy of an object inside another (a provision's `host`) fills in alike.
 */
function fillUnknowns(v: unknown, key: string): unknown {
  if (v instanceof Unknown) return `computed:${key}`;
  if (Array.isArray(v)) return v.map((x) => fillUnknowns(x, key));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillUnknowns(x, k)]));
  return v;
}

/**
 * The state apply would leave after applying `init` (its state, if any, included): plan, record
 * every planned object with its unknowns filled in, and again until nothing changes.
 */
export function appliedState(init: FixtureInit): StateInstance[] {
  let state = [...(init.state ?? [])];
  for (let i = 0; i < 5; i++) {
    const p = planOf({ ...init, state });
    if (p.steps.length === 0) return state;
    state = p.changes
      .filter((c) => c.after !== null)
      .map((c) => ({
        ...copy({ address: c.address, generation: c.plannedGeneration, dependencies: c.dependencies }),
        attributes: fillUnknowns(storedForm(c.after as Value), c.address) as Record<string, Json>,
      }));
  }
  throw new Error('the fixture does not converge');
}
