/**
 * The state file's text: decoding checks every field (a state file is edited by hand now and
 * then, and a bad one must be reported, not half-understood); encoding writes fields in one
 * fixed order and resources sorted, so two states that mean the same are the same bytes.
 */
import { error, type Diagnostic, type SourcePos } from '../diagnostics.js';
import type { Json } from '../evaluate/value.js';
import type { Role } from '../providers/contract.js';
import { compareInstances } from './query.js';
import { isSensitiveHash } from './sensitive.js';
import { STATE_FORMAT_VERSION, type InstanceStatus, type KeptMark, type StateFile, type StateInstance, type StateDataSource, type StateOutput } from './types.js';
import { parseJson, stringifyJson } from '../evaluate/json-text.js';

/** Problems listed in one diagnostic before the rest are summed up as "and N more". */
const MAX_LISTED_PROBLEMS = 10;

const ROLES: readonly Role[] = ['instance', 'provision', 'check', 'route'];
const STATUSES: readonly InstanceStatus[] = ['creating', 'ready', 'tainted', 'deleting'];
const isRole = oneOf(ROLES);
const isStatus = oneOf(STATUSES);
const isColor = oneOf(['blue', 'green', null] as const);
const ROLE_EXPECTED = listOf(ROLES);
const STATUS_EXPECTED = listOf(STATUSES);

/**
 * Parses and checks the text of a state file read from `path` (named in diagnostics). Invalid
 * JSON, a `format_version` other than 1, and missing or ill-typed fields are error diagnostics
 * naming the path and the cause; the state is then null. Resources come back sorted.
 */
export function decodeState(text: string, path: string): { state: StateFile | null; diagnostics: readonly Diagnostic[] } {
  let data: unknown;
  try {
    data = parseJson(text);
  } catch (e) {
    return { state: null, diagnostics: [syntaxDiagnostic(text, path, e)] };
  }
  return checkState(data, path);
}

/**
 * `decodeState` after the JSON parse: checks that `data` has the shape of a state file and
 * returns it with fields in order and resources sorted. The store also runs it over every state
 * before writing it, so that a file it writes can always be read back.
 */
export function checkState(data: unknown, path: string): { state: StateFile | null; diagnostics: readonly Diagnostic[] } {
  if (!isRecord(data)) {
    return { state: null, diagnostics: [invalid(path, ['the file does not hold a JSON object'])] };
  }
  const version = data.format_version;
  if (version !== STATE_FORMAT_VERSION) {
    return { state: null, diagnostics: [versionDiagnostic(path, version, data.infra_version)] };
  }
  const problems: string[] = [];
  const check = new Checker(problems);
  const serial = check.field(data, 'serial', '', isCount, 'a whole number >= 0');
  const lineage = check.field(data, 'lineage', '', isNonEmptyString, 'a non-empty string');
  const infraVersion = check.field(data, 'infra_version', '', isString, 'a string');
  const resources = check.field(data, 'resources', '', isList, 'a list');
  const outputs = check.field(data, 'outputs', '', isRecord, 'an object');
  const dataSources = data.data_sources === undefined ? [] : check.field(data, 'data_sources', '', isList, 'a list');
  const decodedData: StateDataSource[] = [];
  (dataSources ?? []).forEach((raw: unknown, i: number) => {
    const where = `data_sources[${i}]`;
    if (!isRecord(raw)) {
      problems.push(`${where}: expected an object`);
      return;
    }
    if (raw.mode !== 'data') problems.push(`${where}.mode: expected "data"`);
    const address = check.field(raw, 'address', where, isNonEmptyString, 'a non-empty string');
    const type = check.field(raw, 'type', where, isNonEmptyString, 'a non-empty string');
    const name = check.field(raw, 'name', where, isNonEmptyString, 'a non-empty string');
    const provider = check.field(raw, 'provider', where, isNonEmptyString, 'a non-empty string');
    const attributes = check.field(raw, 'attributes', where, isRecord, 'an object');
    const index = raw.index;
    if (!(index === null || typeof index === 'string' || (typeof index === 'number' && Number.isInteger(index) && index >= 0))) problems.push(`${where}.index: expected null, a string or a whole number >= 0`);
    if (address && type && name && provider && attributes && raw.mode === 'data') {
      decodedData.push({ mode: 'data', address, type, name, index: index as string | number | null, provider, attributes: attributes as Record<string, Json> });
    }
  });

  const instances: StateInstance[] = [];
  (resources ?? []).forEach((raw: unknown, i: number) => {
    const instance = decodeInstance(raw, `resources[${i}]`, check);
    if (instance) instances.push(instance);
  });
  instances.sort(compareInstances);
  for (let i = 1; i < instances.length; i++) {
    if (compareInstances(instances[i - 1], instances[i]) === 0) {
      problems.push(`resources: ${instances[i].address} generation ${instances[i].generation} is recorded twice`);
    }
  }

  const decodedOutputs: Record<string, StateOutput> = {};
  for (const [name, raw] of Object.entries(outputs ?? {})) {
    const where = `outputs.${name}`;
    if (!isRecord(raw)) {
      problems.push(`${where}: expected an object with "value" and "sensitive"`);
      continue;
    }
    if (!('value' in raw)) problems.push(`${where}.value: missing`);
    const sensitive = check.field(raw, 'sensitive', where, isBoolean, 'true or false');
    if ('value' in raw && sensitive !== undefined) decodedOutputs[name] = { value: raw.value as Json, ...('type' in raw ? { type: raw.type as Json } : {}), sensitive };
  }

  if (problems.length > 0) return { state: null, diagnostics: [invalid(path, problems)] };
  return {
    state: {
      format_version: STATE_FORMAT_VERSION,
      serial: serial as number,
      lineage: lineage as string,
      infra_version: infraVersion as string,
      resources: instances,
      outputs: decodedOutputs,
      ...(decodedData.length ? { data_sources: decodedData.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)) } : {}),
    },
    diagnostics: [],
  };
}

/**
 * The text of `state`: fields in a fixed order, resources sorted by address then generation,
 * outputs by name, two-space indentation and a final newline.
 */
export function encodeState(state: StateFile): string {
  const outputs: Record<string, StateOutput> = {};
  for (const name of Object.keys(state.outputs).sort()) {
    const o = state.outputs[name];
    outputs[name] = { value: o.value, ...(o.type !== undefined ? { type: o.type } : {}), sensitive: o.sensitive };
  }
  const file: StateFile = {
    format_version: STATE_FORMAT_VERSION,
    serial: state.serial,
    lineage: state.lineage,
    infra_version: state.infra_version,
    resources: [...state.resources].sort(compareInstances).map(canonicalInstance),
    outputs,
    ...(state.data_sources?.length
      ? {
          data_sources: [...state.data_sources]
            .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
            .map((d) => ({ mode: 'data' as const, address: d.address, type: d.type, name: d.name, index: d.index, provider: d.provider, attributes: d.attributes })),
        }
      : {}),
  };
  return `${stringifyJson(file, 2)}\n`;
}

/** `instance` with its fields in the documented order (callers build records with spreads). */
function canonicalInstance(instance: StateInstance): StateInstance {
  return {
    address: instance.address,
    type: instance.type,
    name: instance.name,
    index: instance.index,
    provider: instance.provider,
    role: instance.role,
    status: instance.status,
    generation: instance.generation,
    color: instance.color,
    live: instance.live,
    attributes: instance.attributes,
    sensitive_attributes: instance.sensitive_attributes,
    dependencies: instance.dependencies,
    ...(instance.kept ? { kept: { until: instance.kept.until, unit: instance.kept.unit, ...(instance.kept.checks ? { checks: instance.kept.checks } : {}) } } : {}),
    created_at: instance.created_at,
    updated_at: instance.updated_at,
  };
}

function decodeInstance(raw: unknown, where: string, check: Checker): StateInstance | undefined {
  if (!isRecord(raw)) {
    check.problems.push(`${where}: expected an object`);
    return undefined;
  }
  const before = check.problems.length;
  const address = check.field(raw, 'address', where, isNonEmptyString, 'a non-empty string');
  // Name the record by its address from here on: "resources[3]" alone is hard to find in a big file.
  const at = address === undefined ? where : `${where} (${address})`;
  const instance = {
    address,
    type: check.field(raw, 'type', at, isNonEmptyString, 'a non-empty string'),
    name: check.field(raw, 'name', at, isNonEmptyString, 'a non-empty string'),
    index: check.field(raw, 'index', at, isIndex, 'a string, a number or null'),
    provider: check.field(raw, 'provider', at, isNonEmptyString, 'a non-empty string'),
    role: check.field(raw, 'role', at, isRole, ROLE_EXPECTED),
    status: check.field(raw, 'status', at, isStatus, STATUS_EXPECTED),
    generation: check.field(raw, 'generation', at, isCount, 'a whole number >= 0'),
    color: check.field(raw, 'color', at, isColor, '"blue", "green" or null'),
    live: check.field(raw, 'live', at, isBoolean, 'true or false'),
    attributes: check.field(raw, 'attributes', at, isRecord, 'an object'),
    sensitive_attributes: check.field(raw, 'sensitive_attributes', at, isHashRecord, 'an object of "sha256:<hex>" strings'),
    dependencies: check.field(raw, 'dependencies', at, isStringList, 'a list of addresses'),
    ...('kept' in raw ? { kept: check.field(raw, 'kept', at, isKeptMark, 'an object with "until" (an ISO 8601 timestamp) and "unit" (an address)') } : {}),
    created_at: check.field(raw, 'created_at', at, isTimestamp, 'an ISO 8601 timestamp'),
    updated_at: check.field(raw, 'updated_at', at, isTimestamp, 'an ISO 8601 timestamp'),
  };
  // Every field was checked; a record with no new problems has every field of the right type.
  return check.problems.length === before ? (instance as StateInstance) : undefined;
}

/** Collects "where.field: expected X, got Y" problems while picking checked fields out of objects. */
class Checker {
  constructor(readonly problems: string[]) {}

  field<T>(
    obj: Readonly<Record<string, unknown>>,
    key: string,
    where: string,
    test: (v: unknown) => v is T,
    expected: string,
  ): T | undefined {
    const value = obj[key];
    if (test(value)) return value;
    const label = where === '' ? key : `${where}.${key}`;
    this.problems.push(key in obj ? `${label}: expected ${expected}, got ${preview(value)}` : `${label}: missing`);
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isList(v: unknown): v is readonly unknown[] {
  return Array.isArray(v);
}
function isString(v: unknown): v is string {
  return typeof v === 'string';
}
function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}
function isBoolean(v: unknown): v is boolean {
  return typeof v === 'boolean';
}
function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
function isIndex(v: unknown): v is string | number | null {
  return v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}
function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every(isString);
}
function isHashRecord(v: unknown): v is Record<string, string> {
  return isRecord(v) && Object.values(v).every((h) => typeof h === 'string' && isSensitiveHash(h));
}
function isKeptMark(v: unknown): v is KeptMark {
  return isRecord(v) && isTimestamp(v.until) && isNonEmptyString(v.unit) && (v.checks === undefined || (isRecord(v.checks) && Object.values(v.checks).every(isRecord)));
}
function isTimestamp(v: unknown): v is string {
  return typeof v === 'string' && !Number.isNaN(Date.parse(v));
}
function oneOf<T extends string | null>(allowed: readonly T[]): (v: unknown) => v is T {
  return (v: unknown): v is T => (allowed as readonly unknown[]).includes(v);
}
function listOf(allowed: readonly string[]): string {
  return `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
}

/** A short rendering of a bad value for a problem line. */
function preview(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function invalid(path: string, problems: readonly string[]): Diagnostic {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `  ${p}`);
  if (problems.length > MAX_LISTED_PROBLEMS) listed.push(`  ... and ${problems.length - MAX_LISTED_PROBLEMS} more`);
  return error('Invalid state file', `${path}:\n${listed.join('\n')}`);
}

function versionDiagnostic(path: string, version: unknown, writer: unknown): Diagnostic {
  if (typeof version === 'number' && Number.isInteger(version) && version > STATE_FORMAT_VERSION) {
    const by = typeof writer === 'string' ? ` by infra ${writer}` : '';
    return error(
      'Unsupported state file format version',
      `${path} has format_version ${version}, written${by}; this infra reads format_version ` +
        `${STATE_FORMAT_VERSION}. Use a newer infra.`,
    );
  }
  const problem =
    version === undefined
      ? `format_version is missing (expected ${STATE_FORMAT_VERSION})`
      : `format_version: expected ${STATE_FORMAT_VERSION}, got ${preview(version)}`;
  return error('Unsupported state file format version', `${path}: ${problem}.`);
}

/**
 * V8 reports most syntax errors "at position N"; turning N into line and column lets a person
 * go straight to it, and gives the diagnostic a range.
 */
function syntaxDiagnostic(text: string, path: string, e: unknown): Diagnostic {
  // V8 quotes the text around the error, line breaks included: keep the message on one line.
  const message = (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ');
  if (text.trim() === '') {
    return error('State file is not valid JSON', `${path}: the file is empty.`);
  }
  const match = /at position (\d+)/.exec(message);
  const offset = match ? Number(match[1]) : message.startsWith('Unexpected end of JSON input') ? text.length : undefined;
  if (offset === undefined) return error('State file is not valid JSON', `${path}: ${message}`);
  const start = positionAt(text, offset);
  const end = positionAt(text, Math.min(text.length, offset + 1));
  const cause = match ? message.replace(/ in JSON at position \d+/, '') : message;
  return error(
    'State file is not valid JSON',
    `${path}:${start.line}:${start.column}: ${cause}`,
    { file: path, start, end },
  );
}

function positionAt(text: string, offset: number): SourcePos {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1, offset };
}
