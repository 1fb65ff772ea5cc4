/**
 * The shape check of a saved plan's `plan` object, before anything reads it: a file that is
 * valid JSON but incomplete or edited by hand is reported field by field ("plan.steps[1].id:
 * missing"), as state files are, instead of failing later with a TypeError.
 */

/** Problems listed before the rest are summed up as "and N more". */
const MAX_LISTED_PROBLEMS = 10;

const ACTIONS = ['["no-op"]', '["create"]', '["update"]', '["delete"]', '["create","delete"]', '["delete","create"]'];
const ROLES = ['instance', 'provision', 'check', 'route'];
const STEP_KINDS = ['create', 'update', 'delete', 'verify', 'switch', 'bake'];
const STEP_OPERATIONS = ['create', 'update', 'delete', 'verify'];
/** Reason codes (planner/plan.ts `Reason`); their data is checked by nothing that reads it. */
const REASON_CODES = ['targeted', 'target-depends-on', 'depends-on-destroyed', 'in-deploy-unit', 'recorded-status', 'provisioning-changed', 'replace-requested', 'replace-triggered-by', 'leftover', 'not-in-configuration', 'kept-window-ended', 'kept-superseded'];

type Test = (v: unknown) => boolean;
const isRecord: Test = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString: Test = (v) => typeof v === 'string';
const isNonEmpty: Test = (v) => typeof v === 'string' && v !== '';
const isBoolean: Test = (v) => typeof v === 'boolean';
const isCount: Test = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isStringList: Test = (v) => Array.isArray(v) && v.every(isString);
const isIndex: Test = (v) => v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
const isAttributes: Test = (v) => isRecord(v);
const orNull = (t: Test): Test => (v) => v === null || t(v);
const oneOf = (allowed: readonly unknown[]): Test => (v) => allowed.includes(v);
const isTimestamp: Test = (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isExpression: Test = (v) => isRecord(v) && isStringList((v as { references?: unknown }).references);
const isBakeSettings: Test = (v) => {
  const b = v as Record<string, unknown>;
  return isRecord(v) && [b.durationMs, b.intervalMs].every((n) => isCount(n) && (n as number) > 0) && isStringList(b.checks);
};
const isActions: Test = (v) => Array.isArray(v) && ACTIONS.includes(JSON.stringify(v));

function preview(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

class Checker {
  readonly problems: string[] = [];

  /** Checks `obj[key]`; true when it passed. */
  field(obj: Record<string, unknown>, key: string, where: string, test: Test, expected: string): boolean {
    if (test(obj[key])) return true;
    this.problems.push(key in obj ? `${where}.${key}: expected ${expected}, got ${preview(obj[key])}` : `${where}.${key}: missing`);
    return false;
  }

  /** Checks `obj[key]` is a list and each element an object, then each element's fields. */
  list(obj: Record<string, unknown>, key: string, where: string, each: (item: Record<string, unknown>, at: string) => void): void {
    if (!this.field(obj, key, where, Array.isArray, 'a list')) return;
    (obj[key] as unknown[]).forEach((item, i) => {
      const at = `${where}.${key}[${i}]`;
      if (!isRecord(item)) this.problems.push(`${at}: expected an object, got ${preview(item)}`);
      else {
        const record = item as Record<string, unknown>;
        const address = record.address;
        each(record, typeof address === 'string' && address !== '' ? `${at} (${address})` : at);
      }
    });
  }
}

/**
 * Problems with `plan` (the `plan` field of a saved plan file) as `where.field: ...` lines, in
 * file order; an empty list when every field the commands read has its type. Attribute values
 * are checked only to be objects: their contents are whatever the providers' schemas hold.
 */
export function planShapeProblems(plan: unknown): string[] {
  if (!isRecord(plan)) return [`plan: expected an object, got ${preview(plan)}`];
  const p = plan as Record<string, unknown>;
  const c = new Checker();
  c.field(p, 'formatVersion', 'plan', oneOf(['1']), '"1"');
  c.field(p, 'mode', 'plan', oneOf(['normal', 'destroy']), '"normal" or "destroy"');
  c.field(p, 'targets', 'plan', isStringList, 'a list of addresses');
  if (c.field(p, 'basis', 'plan', isRecord, 'an object')) {
    const b = p.basis as Record<string, unknown>;
    c.field(b, 'configHash', 'plan.basis', isString, 'a string');
    c.field(b, 'stateSerial', 'plan.basis', isCount, 'a whole number >= 0');
    c.field(b, 'stateLineage', 'plan.basis', orNull(isString), 'a string or null');
    if (c.field(b, 'variables', 'plan.basis', isRecord, 'an object')) {
      for (const [name, v] of Object.entries(b.variables as Record<string, unknown>)) {
        const entry = isRecord(v) ? (v as Record<string, unknown>) : null;
        if (entry === null || !('value' in entry || isString(entry.sha256))) {
          c.problems.push(`plan.basis.variables.${name}: expected { "value": ... } or { "sha256": "..." }, got ${preview(v)}`);
        }
      }
    }
  }
  c.list(p, 'drift', 'plan', (d, at) => {
    c.field(d, 'address', at, isNonEmpty, 'a non-empty string');
    c.field(d, 'kind', at, oneOf(['deleted', 'changed']), '"deleted" or "changed"');
    c.field(d, 'before', at, isAttributes, 'an object');
    c.field(d, 'after', at, orNull(isAttributes), 'an object or null');
  });
  c.list(p, 'changes', 'plan', (x, at) => {
    c.field(x, 'address', at, isNonEmpty, 'a non-empty string');
    c.field(x, 'type', at, isNonEmpty, 'a non-empty string');
    c.field(x, 'name', at, isNonEmpty, 'a non-empty string');
    c.field(x, 'index', at, isIndex, 'a string, a number or null');
    c.field(x, 'provider', at, isNonEmpty, 'a non-empty string');
    c.field(x, 'role', at, oneOf(ROLES), `one of ${ROLES.map((r) => `"${r}"`).join(', ')}`);
    c.field(x, 'actions', at, isActions, 'a list of actions');
    c.field(x, 'blueGreen', at, isBoolean, 'true or false');
    c.field(x, 'before', at, orNull(isAttributes), 'an object or null');
    c.field(x, 'after', at, orNull(isAttributes), 'an object or null');
    c.field(x, 'replacePaths', at, isStringList, 'a list of strings');
    c.field(x, 'reasons', at, isReasonList, 'a list of reasons ({ "code": ... })');
    c.field(x, 'priorGeneration', at, isCount, 'a whole number >= 0');
    c.field(x, 'plannedGeneration', at, isCount, 'a whole number >= 0');
    c.field(x, 'dependencies', at, isStringList, 'a list of addresses');
  });
  c.list(p, 'units', 'plan', (u, at) => {
    c.field(u, 'address', at, isNonEmpty, 'a non-empty string');
    for (const k of ['provisions', 'checks', 'routes', 'postChecks']) c.field(u, k, at, isStringList, 'a list of addresses');
    c.field(u, 'priorGeneration', at, isCount, 'a whole number >= 0');
    c.field(u, 'plannedGeneration', at, isCount, 'a whole number >= 0');
    if ('keepBlue' in u) {
      c.field(u, 'keepBlue', at, (v: unknown): v is object => typeof v === 'object' && v !== null && ['windowMs', 'bakeMs', 'bakeIntervalMs'].every((k) => isCount((v as Record<string, unknown>)[k])), 'an object of windowMs, bakeMs and bakeIntervalMs (whole numbers >= 0)');
    }
  });
  c.list(p, 'steps', 'plan', (s, at) => {
    c.field(s, 'id', at, isNonEmpty, 'a non-empty string');
    c.field(s, 'kind', at, oneOf(STEP_KINDS), `one of ${STEP_KINDS.map((k) => `"${k}"`).join(', ')}`);
    c.field(s, 'address', at, isNonEmpty, 'a non-empty string');
    c.field(s, 'color', at, oneOf(['green', 'blue', null]), '"green", "blue" or null');
    c.field(s, 'unit', at, orNull(isString), 'an address or null');
    c.field(s, 'afterSwitch', at, isBoolean, 'true or false');
    c.field(s, 'after', at, isStringList, 'a list of step ids');
    c.field(s, 'generation', at, isCount, 'a whole number >= 0');
    c.field(s, 'operation', at, oneOf(STEP_OPERATIONS), `one of ${STEP_OPERATIONS.map((k) => `"${k}"`).join(', ')}`);
    c.field(s, 'blueGreen', at, isBoolean, 'true or false');
    if (s.kind === 'bake') c.field(s, 'bake', at, isBakeSettings, 'an object of durationMs and intervalMs (whole numbers > 0) and checks (a list of addresses)');
  });
  c.list(p, 'outputs', 'plan', (o, at) => {
    c.field(o, 'name', at, isNonEmpty, 'a non-empty string');
    if (!('after' in o)) c.problems.push(`${at}.after: missing`);
    c.field(o, 'sensitive', at, isBoolean, 'true or false');
  });
  if (c.field(p, 'summary', 'plan', isRecord, 'an object')) {
    for (const k of ['add', 'change', 'destroy', 'blueGreen']) c.field(p.summary as Record<string, unknown>, k, 'plan.summary', isCount, 'a whole number >= 0');
  }
  // moved/removed blocks carried out; absent in plans that move nothing.
  if ('moves' in p) {
    c.list(p, 'moves', 'plan', (m, at) => {
      c.field(m, 'from', at, isNonEmpty, 'an address');
      c.field(m, 'to', at, isNonEmpty, 'an address');
    });
  }
  if ('forgets' in p) c.field(p, 'forgets', 'plan', isStringList, 'a list of addresses');
  if ('imports' in p) {
    c.list(p, 'imports', 'plan', (i, at) => {
      c.field(i, 'address', at, isNonEmpty, 'an address');
      c.field(i, 'id', at, isNonEmpty, 'an ID');
      if (c.field(i, 'record', at, isRecord, 'a state record')) {
        const r = i.record as Record<string, unknown>;
        c.field(r, 'address', `${at}.record`, isNonEmpty, 'an address');
        c.field(r, 'attributes', `${at}.record`, isAttributes, 'an object');
        c.field(r, 'sensitive_attributes', `${at}.record`, isAttributes, 'an object');
      }
    });
  }
  // Data sources (`data "TYPE" "NAME"`); absent in plans of configurations without any.
  if ('data' in p) {
    c.list(p, 'data', 'plan', (d, at) => {
      c.field(d, 'address', at, isNonEmpty, 'an address');
      c.field(d, 'type', at, isNonEmpty, 'a data source type');
      c.field(d, 'provider', at, isNonEmpty, 'a provider name');
      c.field(d, 'values', at, isRecord, 'an object');
      c.field(d, 'dependencies', at, isStringList, 'a list of addresses');
    });
  }
  // Module calls decided from values known when planning; absent when none.
  if ('moduleInstances' in p) {
    c.list(p, 'moduleInstances', 'plan', (m, at) => {
      c.field(m, 'address', at, isNonEmpty, 'a module call address');
      c.field(m, 'keys', at, (k: unknown) => Array.isArray(k) && k.every((x) => typeof x === 'string' || (typeof x === 'number' && Number.isInteger(x) && x >= 0)), 'a list of keys');
      c.field(m, 'eachValue', at, oneOf(['key', 'element']), '"key" or "element"');
    });
  }
  c.list(p, 'warnings', 'plan', (w, at) => {
    c.field(w, 'severity', at, oneOf(['error', 'warning']), '"error" or "warning"');
    c.field(w, 'summary', at, isString, 'a string');
  });
  // Read only by the JSON view (render/plan-json.ts); optional, as plans made by apply lack them.
  if ('createdAt' in p) c.field(p, 'createdAt', 'plan', isTimestamp, 'an ISO 8601 timestamp');
  if ('configuration' in p && c.field(p, 'configuration', 'plan', isRecord, 'an object')) {
    const cfg = p.configuration as Record<string, unknown>;
    const at = 'plan.configuration';
    c.list(cfg, 'resources', at, (r, rat) => {
      for (const k of ['address', 'type', 'name']) c.field(r, k, rat, isNonEmpty, 'a non-empty string');
      if (c.field(r, 'expressions', rat, isRecord, 'an object')) {
        for (const [k, e] of Object.entries(r.expressions as Record<string, unknown>)) {
          const block = (x: unknown): boolean => isRecord(x) && Object.values(x as object).every(isExpression);
          if (!isExpression(e) && !(Array.isArray(e) && e.every(block))) c.problems.push(`${rat}.expressions.${k}: expected { "references": [...] } or a list of blocks, got ${preview(e)}`);
        }
      }
      for (const k of ['count', 'forEach']) if (k in r) c.field(r, k, rat, isExpression, '{ "references": [...] }');
      c.field(r, 'dependsOn', rat, isStringList, 'a list of addresses');
    });
    c.list(cfg, 'outputs', at, (o, oat) => {
      c.field(o, 'name', oat, isNonEmpty, 'a non-empty string');
      c.field(o, 'expression', oat, isExpression, '{ "references": [...] }');
      c.field(o, 'sensitive', oat, isBoolean, 'true or false');
    });
    c.list(cfg, 'variables', at, (v, vat) => {
      c.field(v, 'name', vat, isNonEmpty, 'a non-empty string');
      c.field(v, 'sensitive', vat, isBoolean, 'true or false');
    });
  }
  return c.problems;
}

/** The problems as the detail of one diagnostic: the path, then one indented line each. */
export function formatPlanProblems(path: string, problems: readonly string[]): string {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `  ${p}`);
  if (problems.length > MAX_LISTED_PROBLEMS) listed.push(`  ... and ${problems.length - MAX_LISTED_PROBLEMS} more`);
  return `${path}:\n${listed.join('\n')}`;
}

function isReasonList(v: unknown): boolean {
  return Array.isArray(v) && v.every((r) => isRecord(r) && REASON_CODES.includes((r as { code?: unknown }).code as string));
}
