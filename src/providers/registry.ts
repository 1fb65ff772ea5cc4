/**
 * Which provider offers which resource type. Schemas are static and cheap (validate and plan
 * need them); implementations load lazily, only when an operation is about to run, so a
 * configuration that uses no Linode instance never loads the Linode SDK.
 */
import type { AttributeSchema, DataSourceSchema, Provider, ResourceTypeSchema } from './contract.js';
import { localDataSchemas, localSchemas } from './local/schema.js';
import { ansibleSchemas } from './ansible/schema.js';
import { dnsCheckSchemas } from './dns_check/schema.js';
import { nginxSchemas } from './nginx_upstream/schema.js';
import { linodeConfigSchema, linodeDataSchemas, linodeSchemas } from './linode/schema.js';

/** A provider as known before it is loaded. */
export interface ProviderEntry {
  readonly name: string;
  readonly description: string;
  readonly configSchema: Readonly<Record<string, AttributeSchema>>;
  readonly types: Readonly<Record<string, ResourceTypeSchema>>;
  /** Data source types (`data "TYPE" "NAME"`), when the provider has any. */
  readonly dataSources?: Readonly<Record<string, DataSourceSchema>>;
  readonly load: () => Promise<Provider>;
}

const builtin: ProviderEntry[] = [
  {
    name: 'local',
    description: 'Machines on this one: loopback addresses and working directories',
    configSchema: {},
    types: localSchemas,
    dataSources: localDataSchemas,
    load: async () => (await import('./local/index.js')).provider,
  },
  {
    name: 'ansible',
    description: 'Provisioning with ansible-playbook',
    configSchema: {},
    types: ansibleSchemas,
    load: async () => (await import('./ansible/index.js')).provider,
  },
  {
    name: 'dns',
    description: 'DNS checks over UDP and TCP',
    configSchema: {},
    types: dnsCheckSchemas,
    load: async () => (await import('./dns_check/index.js')).provider,
  },
  {
    name: 'nginx',
    description: 'nginx stream upstreams (UDP/TCP load balancing)',
    configSchema: {},
    types: nginxSchemas,
    load: async () => (await import('./nginx_upstream/index.js')).provider,
  },
  {
    name: 'linode',
    description: 'Linode instances through the Linode API v4',
    configSchema: linodeConfigSchema,
    types: linodeSchemas,
    dataSources: linodeDataSchemas,
    load: async () => (await import('./linode/index.js')).provider,
  },
];

const entries = new Map<string, ProviderEntry>(builtin.map((e) => [e.name, e]));

/** Adds (or replaces) a provider; tests use it for the recording provider. */
export function registerProvider(entry: ProviderEntry): void {
  entries.set(entry.name, entry);
}

/** Removes a provider registered by `registerProvider`. */
export function unregisterProvider(name: string): void {
  entries.delete(name);
}

export function providerEntries(): readonly ProviderEntry[] {
  return [...entries.values()];
}

/** The provider offering `typeName`, or undefined. */
export function providerForType(typeName: string): ProviderEntry | undefined {
  for (const e of entries.values()) if (Object.prototype.hasOwnProperty.call(e.types, typeName)) return e;
  return undefined;
}

/** The provider offering the data source type `typeName`, or undefined. */
export function providerForDataSource(typeName: string): ProviderEntry | undefined {
  for (const e of entries.values()) if (e.dataSources && Object.prototype.hasOwnProperty.call(e.dataSources, typeName)) return e;
  return undefined;
}

/** Every data source type name known, for "did you mean". */
export function allDataSourceNames(): string[] {
  return [...entries.values()].flatMap((e) => Object.keys(e.dataSources ?? {})).sort();
}

/** Every resource type name known, for "did you mean". */
export function allTypeNames(): string[] {
  return [...entries.values()].flatMap((e) => Object.keys(e.types)).sort();
}

const loaded = new Map<string, Promise<Provider>>();

/** Loads a provider's implementation once. */
export function loadProvider(name: string): Promise<Provider> {
  const entry = entries.get(name);
  if (!entry) throw new Error(`unknown provider ${name}`);
  let p = loaded.get(name);
  if (!p) {
    p = entry.load();
    loaded.set(name, p);
  }
  return p;
}

/** Forgets loaded implementations (tests re-register providers between runs). */
export function resetLoadedProviders(): void {
  loaded.clear();
}
