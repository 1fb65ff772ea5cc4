/**
 * Schemas of the Linode provider: its configuration block and `linode_instance`. Loaded at
 * start-up by the registry, so this module imports nothing but types: the API client loads only
 * when an operation runs (see ./index.ts).
 */
import { sshBlockSchema } from '../connection-schema.js';
import type { AttributeSchema, BlockSchema, DataSourceSchema, ResourceTypeSchema } from '../contract.js';

/** Defaults of the provider block's tuning knobs; settings.ts applies them. */
export const LINODE_DEFAULTS = {
  url: 'https://api.linode.com/v4',
  minRetryDelayMs: 1000,
  maxRetryDelayMs: 30_000,
  maxRetries: 8,
  retryTimeoutMs: 300_000,
  requestTimeoutMs: 60_000,
  pollIntervalMs: 4000,
  sshPort: 22,
  refreshReuseMs: 10_000,
  createTimeout: '10m',
  updateTimeout: '10m',
  deleteTimeout: '10m',
} as const;

/** `provider "linode" { ... }`. */
export const linodeConfigSchema: Record<string, AttributeSchema> = {
  token: {
    type: 'string',
    optional: true,
    sensitive: true,
    envFallback: 'LINODE_TOKEN',
    description:
      'Linode API personal access token. Falls back to the LINODE_TOKEN environment variable; one of the two is required.',
  },
  url: {
    type: 'string',
    optional: true,
    description:
      'Base address of the Linode API, with or without the version path. Falls back to LINODE_URL, then https://api.linode.com/v4.',
  },
  min_retry_delay_ms: {
    type: 'number',
    optional: true,
    default: LINODE_DEFAULTS.minRetryDelayMs,
    description: 'Smallest wait before retrying a failed API request (backoff starts here).',
  },
  max_retry_delay_ms: {
    type: 'number',
    optional: true,
    default: LINODE_DEFAULTS.maxRetryDelayMs,
    description: 'Largest backoff wait between retries (a longer Retry-After from the API is still honoured).',
  },
  max_retries: {
    type: 'number',
    optional: true,
    default: LINODE_DEFAULTS.maxRetries,
    description: 'Retries of one API request after 429, 5xx, resets and timeouts before giving up.',
  },
  retry_timeout_ms: {
    type: 'number',
    optional: true,
    default: LINODE_DEFAULTS.retryTimeoutMs,
    description: 'Total time one API request may spend retrying.',
  },
  request_timeout_ms: {
    type: 'number',
    optional: true,
    default: LINODE_DEFAULTS.requestTimeoutMs,
    description: 'Time one HTTP request may take before it counts as failed (and is retried).',
  },
  poll_interval_ms: {
    type: 'number',
    optional: true,
    default: LINODE_DEFAULTS.pollIntervalMs,
    description: 'How often instance status and SSH readiness are polled while creating and deleting.',
  },
  ssh_port: {
    type: 'number',
    optional: true,
    default: LINODE_DEFAULTS.sshPort,
    description: 'TCP port that must accept connections before a new instance counts as ready.',
  },
  refresh_reuse_ms: {
    type: 'number',
    optional: true,
    default: LINODE_DEFAULTS.refreshReuseMs,
    description:
      'How long one listing of all of the state\'s instances answers further reads of the same refresh (batched refresh).',
  },
};

const timeoutAttribute = (what: string, fallback: string): AttributeSchema => ({
  type: 'string',
  optional: true,
  description: `Time allowed to ${what}, as a duration such as "10m" or "90s" (default ${fallback}).`,
});

const linodeInstance: ResourceTypeSchema = {
  description: 'A Linode instance (virtual machine), created from an image and ready when SSH accepts connections.',
  role: 'instance',
  attributes: {
    label: {
      type: 'string',
      required: true,
      description:
        'Label of the instance. For blue-green copies the label sent to Linode carries the generation: "ns1" becomes "ns1-g2". 3-64 characters (suffix included): letters, digits, "-", "_", "."; begins and ends with a letter or digit; no "--", "__" or "..".',
    },
    region: {
      type: 'string',
      required: true,
      forcesReplacement: true,
      description: 'Region to create the instance in, such as "us-east".',
    },
    type: {
      type: 'string',
      required: true,
      forcesReplacement: true,
      description: 'Linode type (plan), such as "g6-nanode-1". A change replaces the instance instead of resizing it.',
    },
    image: {
      type: 'string',
      required: true,
      forcesReplacement: true,
      description: 'Image to deploy, such as "linode/debian12".',
    },
    tags: {
      type: { list: 'string' },
      optional: true,
      default: [],
      description:
        'Tags to put on the instance (3-50 characters each). Updated in place. Tags beginning with "infra:" or "infra-" are reserved for the tool.',
    },
    authorized_keys: {
      type: { list: 'string' },
      optional: true,
      default: [],
      forcesReplacement: true,
      description: "Public SSH keys appended to root's authorized_keys when the image is deployed.",
    },
    root_pass: {
      type: 'string',
      optional: true,
      computed: true,
      sensitive: true,
      forcesReplacement: true,
      description: 'Root password. Generated from a secure random source when left out; kept in state only.',
    },
    private_ip: {
      type: 'bool',
      optional: true,
      default: false,
      forcesReplacement: true,
      description: 'Whether the instance gets a private IPv4 address as well.',
    },
    id: { type: 'number', computed: true, description: 'Linode ID of the instance.' },
    linode_label: {
      type: 'string',
      computed: true,
      description: 'The label as sent to Linode: `label`, plus "-g<generation>" for blue-green copies.',
    },
    ipv4: { type: 'string', computed: true, description: 'Public IPv4 address.' },
    private_ipv4: {
      type: 'string',
      computed: true,
      description: 'Private IPv4 address when private_ip is true, else null.',
    },
    ipv6: { type: 'string', computed: true, description: 'IPv6 SLAAC address, with its prefix length ("/128").' },
    status: { type: 'string', computed: true, description: 'Status as last seen: "running", "booting", "offline", ...' },
    connection: { type: 'string', computed: true, description: 'How provisioners reach the instance: always "ssh".' },
  },
  blocks: {
    timeouts: {
      description: 'Time budgets of the operations on this instance.',
      nesting: 'single',
      attributes: {
        create: timeoutAttribute('create the instance and wait for status running and SSH', LINODE_DEFAULTS.createTimeout),
        update: timeoutAttribute('update the label and tags', LINODE_DEFAULTS.updateTimeout),
        delete: timeoutAttribute('delete the instance and wait until it is gone', LINODE_DEFAULTS.deleteTimeout),
      },
    },
    ssh: sshBlockSchema,
  },
};

/** Resource types of the Linode provider. */
/**
 * `linode_service_address`: a public IPv4 that outlives the load balancers behind it (a route:
 * the switch of a load balancer's blue-green deploy moves it with the Networking API).
 */
export const linodeServiceAddress: ResourceTypeSchema = {
  description:
    'A service address: one more public IPv4 allocated on the Linode `linode` (POST /networking/ips), answered by a ' +
    'listener on that host\'s nginx for each of `ports`. When `linode` changes (the switch of a blue-green deploy of the ' +
    'load balancer) the new Linode\'s nginx starts listening, the address moves to it (POST /networking/ips/assign, same ' +
    'region; both Linodes keep their own IPv4) and the old one stops listening. Destroying it releases the address.',
  role: 'route',
  movesAddress: 'address',
  attributes: {
    linode: {
      type: 'any',
      required: true,
      description: 'The load balancer, a linode_instance object (or a provisioner\'s host holding one): its id, region, ipv4 and ssh settings.',
    },
    ports: {
      type: { list: 'number' },
      optional: true,
      default: [53],
      description: 'Ports answered on the address, UDP and TCP each, by a listener on the host\'s nginx; [] for none (a host that answers on every address).',
    },
    address: { type: 'string', computed: true, description: 'The service address, kept for the life of the resource.' },
    region: { type: 'string', computed: true, description: 'The region of the address (it moves only within it).' },
  },
};

export const linodeSchemas: Record<string, ResourceTypeSchema> = {
  linode_instance: linodeInstance,
  linode_service_address: linodeServiceAddress,
};

/**
 * The fields each Linode data source can filter and order on, as the Terraform Linode provider
 * documents them ("Filterable Fields"); `api` are those the API filters itself (sent as
 * X-Filter for exact matches), the others are matched here.
 */
export const LINODE_FILTERABLE: Readonly<Record<'linode_instances' | 'linode_images' | 'linode_regions', { readonly all: readonly string[]; readonly api: readonly string[] }>> = {
  linode_instances: {
    all: ['group', 'id', 'image', 'label', 'region', 'status', 'tags', 'type', 'watchdog_enabled'],
    api: ['group', 'id', 'image', 'label', 'region', 'status', 'tags', 'type', 'watchdog_enabled'],
  },
  linode_images: {
    all: ['created_by', 'deprecated', 'description', 'id', 'is_public', 'label', 'size', 'status', 'tags', 'vendor'],
    api: ['created_by', 'deprecated', 'id', 'is_public', 'label', 'size', 'status', 'vendor'],
  },
  linode_regions: {
    all: ['capabilities', 'country', 'id', 'label', 'site_type', 'status'],
    api: [],
  },
};

/** `filter { name, values, match_by }`, as the Terraform Linode provider's data sources take it. */
const filterBlock: BlockSchema = {
  description: 'Keeps the objects whose field `name` matches one of `values`; several filter blocks must all match.',
  attributes: {
    name: { type: 'string', required: true, description: 'The field to filter by (see the filterable fields).' },
    values: { type: { list: 'string' }, required: true, description: 'Values to allow, in string form ("true", "2500"); one of them must match.' },
    match_by: { type: 'string', optional: true, default: 'exact', description: 'How to match: "exact" (default), "substring" or "regex".' },
  },
};

const orderArgs = (defaultOrder: 'asc' | 'desc'): Record<string, AttributeSchema> => ({
  order_by: { type: 'string', optional: true, description: 'The field to order the results by (one of the filterable fields).' },
  order: { type: 'string', optional: true, description: `"asc" or "desc" (default "${defaultOrder}").` },
});

/** `data "linode_instances"`: the account's instances that match the filters. */
export const linodeInstancesData: DataSourceSchema = {
  description: 'The Linode instances of the account that match the filter blocks (GET /linode/instances).',
  attributes: {
    ...orderArgs('desc'),
    instances: {
      type: { list: 'any' },
      computed: true,
      description: 'The matching instances: id, label, region, type, image, status, group, tags, ipv4, ipv6, watchdog_enabled, created, updated.',
    },
  },
  blocks: { filter: filterBlock },
};

/** `data "linode_images"`: images that match the filters. */
export const linodeImagesData: DataSourceSchema = {
  description: 'The Linode images (public and the account\'s own) that match the filter blocks (GET /images).',
  attributes: {
    ...orderArgs('asc'),
    latest: { type: 'bool', optional: true, description: 'Only the most recently created image of those that match.' },
    images: {
      type: { list: 'any' },
      computed: true,
      description: 'The matching images: id, label, description, created, created_by, deprecated, is_public, size, status, type, vendor, tags, total_size.',
    },
  },
  blocks: { filter: filterBlock },
};

/** `data "linode_regions"`: regions that match the filters. */
export const linodeRegionsData: DataSourceSchema = {
  description: 'The Linode regions that match the filter blocks (GET /regions).',
  attributes: {
    regions: {
      type: { list: 'any' },
      computed: true,
      description: 'The matching regions: id, label, country, capabilities, status, site_type, resolvers { ipv4, ipv6 }, placement_group_limits.',
    },
  },
  blocks: { filter: filterBlock },
};

/** Every data source type of the Linode provider. */
export const linodeDataSchemas: Readonly<Record<string, DataSourceSchema>> = {
  linode_instances: linodeInstancesData,
  linode_images: linodeImagesData,
  linode_regions: linodeRegionsData,
};
