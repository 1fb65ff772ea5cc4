/**
 * Saved plans (`infra plan --out FILE`). A plan file holds no secret, so it can be kept as a CI
 * artifact: sensitive values and sensitive variables are kept only as hashes (the stored form
 * state files use; a sensitive value not yet known as a bare marker), checked again when the plan
 * is applied. Unknown values keep a marker of their own.
 */
import { type Diagnostic, error } from '../diagnostics.js';
import { UNKNOWN, Sensitive, Unknown, containsUnknown, isObject, toJson, type Value } from '../evaluate/value.js';
import { isStoredSecret, storedSecret } from '../state/sensitive.js';
import type { Plan } from './plan.js';
import { formatPlanProblems, planShapeProblems } from './planfile-check.js';
import { parseJson, stringifyJson } from '../evaluate/json-text.js';

const MAGIC = 'infra-plan';
/** 2: reasons are codes with data (`Reason`), not words. */
const VERSION = 2;

type Encoded = null | string | number | boolean | Encoded[] | { [k: string]: Encoded };

function encodeValue(v: Value): Encoded {
  if (v instanceof Unknown) return { $unknown: true };
  // A known secret keeps its stored form (a hash, as in state files), so the saved plan reads
  // back as known - not as "known after apply" - and apply can still tell it changed.
  if (v instanceof Sensitive) return containsUnknown(v.value) ? { $sensitive: true } : { $sensitive: storedSecret(toJson(v.value)) };
  if (Array.isArray(v)) return v.map(encodeValue);
  if (isObject(v)) {
    const out: Record<string, Encoded> = {};
    for (const [k, x] of Object.entries(v)) out[k.startsWith('$') ? `$${k}` : k] = encodeValue(x);
    return out;
  }
  return v as Encoded;
}

function decodeValue(e: unknown): Value {
  if (Array.isArray(e)) return e.map(decodeValue);
  if (e !== null && typeof e === 'object') {
    const o = e as Record<string, unknown>;
    if (o.$unknown === true && Object.keys(o).length === 1) return UNKNOWN;
    if (o.$sensitive === true && Object.keys(o).length === 1) return new Sensitive(UNKNOWN);
    if (isStoredSecret(o.$sensitive) && Object.keys(o).length === 1) return new Sensitive(o.$sensitive);
    const out: Record<string, Value> = {};
    for (const [k, x] of Object.entries(o)) out[k.startsWith('$$') ? k.slice(1) : k] = decodeValue(x);
    return out;
  }
  return e as Value;
}

/** Walks a plan, encoding every attribute value. */
function mapValues(plan: unknown, f: (v: Value) => unknown, g: (e: unknown) => unknown): unknown {
  const p = plan as Plan;
  const values = (r: Readonly<Record<string, Value>> | null): unknown => (r === null ? null : f(r as Value));
  return {
    ...p,
    drift: p.drift.map((d) => ({ ...d, before: values(d.before), after: values(d.after) })),
    changes: p.changes.map((c) => ({ ...c, before: values(c.before), after: values(c.after) })),
    outputs: p.outputs.map((o) => ({ ...o, before: o.before === undefined ? g(undefined) : f(o.before), after: f(o.after) })),
    ...(p.data ? { data: p.data.map((d) => ({ ...d, values: f(d.values as Value) })) } : {}),
  };
}

/** The plan file's text. */
export function encodePlanFile(plan: Plan): string {
  const body = mapValues(plan, encodeValue, () => ({ $absent: true }));
  return stringifyJson({ format: MAGIC, version: VERSION, plan: body }, 1) + '\n';
}

/** Reads a plan file's text; a file that is not a plan is a diagnostic naming it. */
export function decodePlanFile(text: string, path: string): { plan: Plan | null; diagnostics: Diagnostic[] } {
  let data: unknown;
  try {
    data = parseJson(text);
  } catch (e) {
    return { plan: null, diagnostics: [error(`${path} is not a saved plan`, `It is not valid JSON: ${(e as Error).message}`)] };
  }
  const d = data as { format?: unknown; version?: unknown; plan?: unknown };
  if (d === null || typeof d !== 'object' || d.format !== MAGIC) {
    return { plan: null, diagnostics: [error(`${path} is not a saved plan`, 'Saved plans are written by `infra plan --out FILE`.')] };
  }
  if (d.version !== VERSION) {
    return { plan: null, diagnostics: [error(`${path} was saved in plan format ${String(d.version)}`, `This version of infra reads format ${VERSION}; plan again.`)] };
  }
  const problems = planShapeProblems(d.plan);
  if (problems.length > 0) return { plan: null, diagnostics: [error('Invalid saved plan', formatPlanProblems(path, problems))] };
  const raw = d.plan as Record<string, unknown>;
  const plan = {
    ...(raw as object),
    drift: (raw.drift as { before: unknown; after: unknown }[]).map((x) => ({ ...x, before: decodeValue(x.before), after: x.after === null ? null : decodeValue(x.after) })),
    changes: (raw.changes as { before: unknown; after: unknown }[]).map((x) => ({
      ...x,
      before: x.before === null ? null : decodeValue(x.before),
      after: x.after === null ? null : decodeValue(x.after),
    })),
    outputs: (raw.outputs as { before: unknown; after: unknown }[]).map((x) => ({
      ...x,
      before: isAbsent(x.before) ? undefined : decodeValue(x.before),
      after: decodeValue(x.after),
    })),
    ...(raw.data ? { data: (raw.data as { values: unknown }[]).map((x) => ({ ...x, values: decodeValue(x.values) })) } : {}),
  } as unknown as Plan;
  return { plan, diagnostics: [] };
}

function isAbsent(e: unknown): boolean {
  return e !== null && typeof e === 'object' && (e as Record<string, unknown>).$absent === true;
}
