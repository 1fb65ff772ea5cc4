/**
 * The Linode data sources - `linode_instances`, `linode_images`, `linode_regions` - as the
 * Terraform Linode provider documents them: `filter { name, values, match_by }` blocks (values of
 * one filter or-ed, filters and-ed; `exact` by default, or `substring` / `regex`), `order_by` and
 * `order`, and `latest` for images. Exact matches on fields the API filters go to the API as the
 * X-Filter header; every filter is also applied here, so an API that ignores one cannot widen
 * the result. Reading never changes anything.
 */
import { error, type Diagnostic } from '../../diagnostics.js';
import type { Json } from '../../evaluate/value.js';
import type { DataReadRequest, DataReadResponse, DataSourceSchema, DataSourceType, OperationContext } from '../contract.js';
import type { Attempted } from './retry.js';
import { failureDetail } from './errors.js';
import { LINODE_FILTERABLE, linodeImagesData, linodeInstancesData, linodeRegionsData } from './schema.js';
import { openSession, type Session } from './session.js';

type Kind = keyof typeof LINODE_FILTERABLE;
type Row = Readonly<Record<string, unknown>>;

interface FilterSpec {
  readonly name: string;
  readonly values: readonly string[];
  readonly matchBy: 'exact' | 'substring' | 'regex';
  readonly test: (value: string) => boolean;
}

const MATCH_BY = ['exact', 'substring', 'regex'] as const;
/** Fields sent to the API as numbers or booleans rather than strings. */
const NUMBER_FIELDS = new Set(['id', 'size']);
const BOOL_FIELDS = new Set(['watchdog_enabled', 'deprecated', 'is_public']);

/** The filter blocks and ordering of a read, checked; or the diagnostics saying what is wrong. */
function parseArgs(kind: Kind, req: DataReadRequest): { filters: FilterSpec[]; orderBy: string | null; order: 'asc' | 'desc'; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const fields = LINODE_FILTERABLE[kind].all;
  const bad = (detail: string): void => void diagnostics.push(error(`Invalid filter on ${req.address}`, detail));
  const filters: FilterSpec[] = [];
  for (const raw of (req.config.filter ?? []) as readonly Record<string, Json>[]) {
    const name = String(raw.name);
    const values = ((raw.values ?? []) as Json[]).map(String);
    const matchBy = String(raw.match_by ?? 'exact');
    if (!fields.includes(name)) {
      bad(`"${name}" is not a filterable field of ${kind}; these are: ${fields.join(', ')}.`);
      continue;
    }
    if (!(MATCH_BY as readonly string[]).includes(matchBy)) {
      bad(`match_by is "exact", "substring" or "regex", not "${matchBy}".`);
      continue;
    }
    let test: (v: string) => boolean;
    if (matchBy === 'regex') {
      const patterns: RegExp[] = [];
      for (const v of values) {
        try {
          patterns.push(new RegExp(v));
        } catch (e) {
          bad(`"${v}" is not a regular expression: ${(e as Error).message}`);
        }
      }
      test = (s) => patterns.some((p) => p.test(s));
    } else if (matchBy === 'substring') test = (s) => values.some((v) => s.includes(v));
    else test = (s) => values.includes(s);
    filters.push({ name, values, matchBy: matchBy as FilterSpec['matchBy'], test });
  }
  const orderBy = req.config.order_by === undefined || req.config.order_by === null ? null : String(req.config.order_by);
  const rawOrder = req.config.order === undefined || req.config.order === null ? (kind === 'linode_instances' ? 'desc' : 'asc') : String(req.config.order);
  if (orderBy !== null && !fields.includes(orderBy)) diagnostics.push(error(`Invalid order_by on ${req.address}`, `"${orderBy}" is not a field of ${kind} to order by; these are: ${fields.join(', ')}.`));
  if (rawOrder !== 'asc' && rawOrder !== 'desc') diagnostics.push(error(`Invalid order on ${req.address}`, `order is "asc" or "desc", not "${rawOrder}".`));
  return { filters, orderBy, order: rawOrder === 'desc' ? 'desc' : 'asc', diagnostics };
}

/** A filter value as the API compares it: numbers and booleans for the fields that hold them. */
function apiValue(field: string, value: string): string | number | boolean {
  if (BOOL_FIELDS.has(field) && (value === 'true' || value === 'false')) return value === 'true';
  if (NUMBER_FIELDS.has(field) && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

/** The X-Filter for the exact matches the API can make, and the ordering. */
function apiFilter(kind: Kind, filters: readonly FilterSpec[], orderBy: string | null, order: 'asc' | 'desc'): Record<string, unknown> {
  const api = LINODE_FILTERABLE[kind].api;
  const clauses = filters.filter((f) => f.matchBy === 'exact' && api.includes(f.name)).map((f) => ({ '+or': f.values.map((v) => ({ [f.name]: apiValue(f.name, v) })) }));
  return {
    ...(clauses.length ? { '+and': clauses } : {}),
    ...(orderBy !== null && api.includes(orderBy) ? { '+order_by': orderBy, '+order': order } : {}),
  };
}

/** Whether `row` matches every filter: a list field matches when one of its elements does. */
function matches(row: Row, filters: readonly FilterSpec[]): boolean {
  return filters.every((f) => {
    const v = row[f.name];
    const items = Array.isArray(v) ? v : [v];
    return items.some((x) => x !== undefined && x !== null && f.test(typeof x === 'string' ? x : JSON.stringify(x)));
  });
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = a === null || a === undefined ? '' : String(a);
  const y = b === null || b === undefined ? '' : String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The fields of one object the data source gives, each present (null when the API left it out). */
function pick(row: Row, fields: readonly string[]): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const f of fields) out[f] = row[f] === undefined ? null : (row[f] as Json);
  return out;
}

const INSTANCE_FIELDS = ['id', 'label', 'region', 'type', 'image', 'status', 'group', 'tags', 'ipv4', 'ipv6', 'watchdog_enabled', 'created', 'updated'];
const IMAGE_FIELDS = ['id', 'label', 'description', 'created', 'created_by', 'deprecated', 'is_public', 'size', 'status', 'type', 'vendor', 'tags', 'total_size'];
const REGION_FIELDS = ['id', 'label', 'country', 'capabilities', 'status', 'site_type', 'resolvers', 'placement_group_limits'];

const RESULT: Readonly<Record<Kind, { readonly attribute: string; readonly fields: readonly string[]; readonly schema: DataSourceSchema }>> = {
  linode_instances: { attribute: 'instances', fields: INSTANCE_FIELDS, schema: linodeInstancesData },
  linode_images: { attribute: 'images', fields: IMAGE_FIELDS, schema: linodeImagesData },
  linode_regions: { attribute: 'regions', fields: REGION_FIELDS, schema: linodeRegionsData },
};

async function list(kind: Kind, session: Session, filter: Record<string, unknown>): Promise<Attempted<readonly Row[]>> {
  if (kind === 'linode_instances') return session.api.listInstances(filter, 'list Linode instances') as Promise<Attempted<readonly Row[]>>;
  return session.api.listAll(kind === 'linode_images' ? 'images' : 'regions', filter);
}

function dataSource(kind: Kind): DataSourceType {
  const { attribute, fields, schema } = RESULT[kind];
  return {
    schema,
    async read(req: DataReadRequest, ctx: OperationContext): Promise<DataReadResponse> {
      const args = parseArgs(kind, req);
      if (args.diagnostics.length > 0) return { state: null, diagnostics: args.diagnostics };
      const opened = openSession(ctx);
      if (!opened.ok) return { state: null, diagnostics: opened.diagnostics };
      const got = await list(kind, opened.session, apiFilter(kind, args.filters, args.orderBy, args.order));
      if (!got.ok) return { state: null, diagnostics: opened.session.redactor.diagnostics([error(`Failed to read ${req.address}`, failureDetail(got))]) };
      let rows = got.value.filter((r) => matches(r, args.filters));
      if (args.orderBy !== null) {
        const by = args.orderBy;
        rows = [...rows].sort((a, b) => (args.order === 'desc' ? -1 : 1) * compare(a[by], b[by]));
      }
      if (kind === 'linode_images' && req.config.latest === true) {
        const dated = rows.filter((r) => typeof r.created === 'string');
        rows = dated.length ? [dated.reduce((a, b) => ((b.created as string) > (a.created as string) ? b : a))] : [];
      }
      return { state: { ...req.config, [attribute]: rows.map((r) => pick(r, fields)) }, diagnostics: [] };
    },
  };
}

/** The Linode provider's data source types. */
export const linodeDataSources: Readonly<Record<Kind, DataSourceType>> = {
  linode_instances: dataSource('linode_instances'),
  linode_images: dataSource('linode_images'),
  linode_regions: dataSource('linode_regions'),
};
