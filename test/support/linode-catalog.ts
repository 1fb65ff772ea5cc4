/**
 * The emulator's regions, types and images: a few real Linode ids with the fields of the API
 * v4 objects (`GET /regions`, `GET /linode/types`, `GET /images`).
 */

/** A Linode type (plan) as `GET /linode/types` lists it. */
export interface EmulatedType {
  readonly id: string;
  readonly label: string;
  readonly class: string;
  readonly disk: number;
  readonly memory: number;
  readonly vcpus: number;
  readonly gpus: number;
  readonly network_out: number;
  readonly transfer: number;
  readonly price: { readonly hourly: number; readonly monthly: number };
  readonly addons: { readonly backups: { readonly price: { readonly hourly: number; readonly monthly: number } } };
  readonly successor: string | null;
  readonly region_prices: readonly unknown[];
}

const region = (id: string, label: string, country: string) => ({
  id,
  label,
  country,
  capabilities: ['Linodes', 'Block Storage', 'Cloud Firewall', 'Vlans', 'Metadata'],
  status: 'ok',
  resolvers: { ipv4: '192.0.2.53,192.0.2.54', ipv6: '2001:db8::53,2001:db8::54' },
  site_type: 'core',
  placement_group_limits: { maximum_pgs_per_customer: 100, maximum_linodes_per_pg: 5 },
});

/** Regions the emulator knows; creating elsewhere is a validation error. */
export const REGIONS = [
  region('us-east', 'Newark, NJ', 'us'),
  region('us-central', 'Dallas, TX', 'us'),
  region('us-west', 'Fremont, CA', 'us'),
  region('eu-central', 'Frankfurt, DE', 'de'),
  region('eu-west', 'London, UK', 'gb'),
  region('ap-south', 'Singapore, SG', 'sg'),
] as const;

const type = (id: string, label: string, cls: string, memory: number, vcpus: number, disk: number, monthly: number): EmulatedType => ({
  id,
  label,
  class: cls,
  disk,
  memory,
  vcpus,
  gpus: 0,
  network_out: 1000 * vcpus,
  transfer: memory,
  price: { hourly: Math.round((monthly / 730) * 10_000) / 10_000, monthly },
  addons: { backups: { price: { hourly: 0.003, monthly: 2 } } },
  successor: null,
  region_prices: [],
});

/** Types the emulator knows. */
export const TYPES: readonly EmulatedType[] = [
  type('g6-nanode-1', 'Nanode 1GB', 'nanode', 1024, 1, 25_600, 5),
  type('g6-standard-1', 'Linode 2GB', 'standard', 2048, 1, 51_200, 12),
  type('g6-standard-2', 'Linode 4GB', 'standard', 4096, 2, 81_920, 24),
  type('g6-dedicated-2', 'Dedicated 4GB', 'dedicated', 4096, 2, 81_920, 36),
];

const image = (id: string, label: string, vendor: string) => ({
  id,
  label,
  vendor,
  description: '',
  is_public: true,
  type: 'manual',
  size: 1500,
  total_size: 1500,
  status: 'available',
  deprecated: false,
  created: '2023-06-12T00:00:00',
  created_by: 'linode',
  updated: '2023-06-12T00:00:00',
  eol: null,
  expiry: null,
  capabilities: ['cloud-init'],
  tags: [],
  regions: [],
});

/** Public images the emulator knows. */
export const IMAGES = [
  image('linode/debian12', 'Debian 12', 'Debian'),
  image('linode/debian11', 'Debian 11', 'Debian'),
  image('linode/ubuntu24.04', 'Ubuntu 24.04 LTS', 'Ubuntu'),
  image('linode/alpine3.20', 'Alpine 3.20', 'Alpine'),
] as const;
