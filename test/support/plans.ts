/**
 * Hand-built plans for renderer tests: renderers are views of plain data, so their tests need no
 * planner. Each builder returns a fresh, self-consistent plan (summary counted from its changes,
 * steps in a valid order); goldens in test/fixtures/render/ name a builder by its key in
 * `PLAN_BUILDERS`.
 */
import { Sensitive, UNKNOWN, type Value } from '../../src/evaluate/value.js';
import type { Action, Actions, DeployUnit, Drift, OutputChange, Plan, Reason, ResourceChange, Step } from '../../src/planner/plan.js';
import type { Role } from '../../src/providers/contract.js';

/** A secret that appears (marked sensitive) in `mixedPlan`; no rendering may ever contain it. */
export const SECRET = 'S3cr3t-token-5f2a9c';
/** A second secret, nested inside a list and an object. */
export const NESTED_SECRET = 'hunter2-nested-7b1d';

type Attrs = Readonly<Record<string, Value>>;

interface ChangeInit {
  readonly address: string;
  readonly actions: Actions;
  readonly role?: Role;
  readonly blueGreen?: boolean;
  readonly before?: Attrs | null;
  readonly after?: Attrs | null;
  readonly replacePaths?: readonly string[];
  readonly reasons?: readonly Reason[];
  readonly priorGeneration?: number;
  readonly plannedGeneration?: number;
  readonly dependencies?: readonly string[];
}

/** Type, name and index of an address such as `linode_instance.ns["ns1"]` or `web.app[3]`. */
function parseAddress(address: string): { type: string; name: string; index: string | number | null } {
  const m = /^([^.]+)\.([^[]+)(?:\[(?:"(.*)"|(\d+))\])?$/s.exec(address);
  if (!m) throw new Error(`bad address in a test plan: ${address}`);
  return { type: m[1], name: m[2], index: m[3] !== undefined ? m[3] : m[4] !== undefined ? Number(m[4]) : null };
}

/** A resource change with the defaults a test does not care about. */
export function change(init: ChangeInit): ResourceChange {
  const { type, name, index } = parseAddress(init.address);
  const actions: readonly Action[] = init.actions;
  const creates = actions.includes('create');
  const deletes = actions.includes('delete');
  const prior = init.priorGeneration ?? (creates && !deletes ? 0 : 1);
  return {
    address: init.address,
    type,
    name,
    index,
    provider: type.split('_')[0],
    role: init.role ?? 'instance',
    actions: init.actions,
    blueGreen: init.blueGreen ?? false,
    before: init.before ?? null,
    after: init.after ?? null,
    replacePaths: init.replacePaths ?? [],
    reasons: init.reasons ?? [],
    priorGeneration: prior,
    plannedGeneration: init.plannedGeneration ?? (creates ? prior + 1 : prior),
    dependencies: init.dependencies ?? [],
  };
}

type StepInit = Omit<Step, 'id' | 'afterSwitch' | 'generation' | 'color' | 'unit' | 'after' | 'operation' | 'blueGreen'> &
  Partial<Pick<Step, 'afterSwitch' | 'generation' | 'color' | 'unit' | 'after' | 'operation' | 'blueGreen'>>;

/** A step whose id is built as the planner builds it: `create ADDR (green)`, `switch ADDR (green) [UNIT]`. */
export function step(init: StepInit): Step {
  const color = init.color ?? null;
  const unit = init.unit ?? null;
  const parts = [init.kind, init.address];
  if (color) parts.push(`(${color})`);
  if (init.kind === 'switch' || (init.kind === 'verify' && unit)) parts.push(`[${unit}]`);
  return {
    id: parts.join(' '),
    kind: init.kind,
    address: init.address,
    color,
    unit,
    afterSwitch: init.afterSwitch ?? false,
    after: init.after ?? [],
    ...(init.switchFrom !== undefined ? { switchFrom: init.switchFrom } : {}),
    ...(init.switchTo !== undefined ? { switchTo: init.switchTo } : {}),
    generation: init.generation ?? 0,
    operation: init.operation ?? (init.kind === 'switch' ? 'update' : init.kind === 'verify' && unit === null ? 'update' : init.kind === 'verify' || init.kind === 'bake' ? 'verify' : init.kind),
    blueGreen: init.blueGreen ?? (color !== null && init.kind !== 'switch' && init.kind !== 'verify'),
  };
}

interface PlanInit {
  readonly mode?: Plan['mode'];
  readonly targets?: readonly string[];
  readonly drift?: readonly Drift[];
  readonly changes?: readonly ResourceChange[];
  readonly units?: readonly DeployUnit[];
  readonly steps?: readonly Step[];
  readonly outputs?: readonly OutputChange[];
}

/** A plan whose summary is counted from its changes, as the planner counts it. */
export function planOf(init: PlanInit): Plan {
  const changes = init.changes ?? [];
  let add = 0;
  let changeCount = 0;
  let destroy = 0;
  for (const c of changes) {
    const actions: readonly Action[] = c.actions;
    if (actions.includes('create')) add++;
    if (actions.includes('update')) changeCount++;
    if (actions.includes('delete')) destroy++;
  }
  const units = init.units ?? [];
  return {
    formatVersion: '1',
    mode: init.mode ?? 'normal',
    targets: init.targets ?? [],
    basis: { configHash: 'sha256:test', stateSerial: 7, stateLineage: 'test-lineage', variables: {} },
    drift: init.drift ?? [],
    changes,
    units,
    steps: init.steps ?? [],
    outputs: init.outputs ?? [],
    summary: { add, change: changeCount, destroy, blueGreen: units.length },
    warnings: [],
  };
}

const NAMESERVERS = [
  { key: 'ns1', ip: '192.0.2.5' },
  { key: 'ns2', ip: '192.0.2.6' },
];

/**
 * Two nameservers ns1/ns2 upgraded by blue-green deploys, one at a time: each unit creates the
 * green instance and its ansible provision, verifies it with a dns_check, switches the
 * nginx_upstream route and checks through it, then destroys blue. A firewall update outside the
 * units comes first.
 */
export function blueGreenPlan(): Plan {
  const changes: ResourceChange[] = [
    change({
      address: 'linode_firewall.dns',
      actions: ['update'],
      before: { id: '4711', inbound_ports: [53], label: 'dns', outbound_policy: 'ACCEPT' },
      after: { id: '4711', inbound_ports: [53, 853], label: 'dns', outbound_policy: 'ACCEPT' },
    }),
  ];
  const units: DeployUnit[] = [];
  const steps: Step[] = [
    step({ kind: 'update', address: 'linode_firewall.dns', generation: 1 }),
  ];
  let previousUnitEnd: string | null = steps[0].id;
  for (const ns of NAMESERVERS) {
    const instance = `linode_instance.ns["${ns.key}"]`;
    const playbook = `ansible_playbook.ns["${ns.key}"]`;
    const check = `dns_check.ns["${ns.key}"]`;
    const route = `nginx_upstream.lb["${ns.key}"]`;
    const postCheck = `dns_check.lb["${ns.key}"]`;
    changes.push(
      change({
        address: instance,
        actions: ['create', 'delete'],
        blueGreen: true,
        before: { id: `1000${ns.key.slice(2)}`, image: 'linode/debian11', ipv4: ns.ip, label: ns.key, region: 'us-east', tags: ['dns'], type: 'g6-nanode-1' },
        after: { id: UNKNOWN, image: 'linode/debian12', ipv4: UNKNOWN, label: ns.key, region: 'us-east', tags: ['dns'], type: 'g6-nanode-1' },
        replacePaths: ['image'],
      }),
      change({
        address: playbook,
        role: 'provision',
        actions: ['create', 'delete'],
        before: { extra_vars: { serial: 2024010101, zone: 'example.test' }, host: ns.ip, playbook: 'ansible/nameserver.yml' },
        after: { extra_vars: { serial: 2024010101, zone: 'example.test' }, host: UNKNOWN, playbook: 'ansible/nameserver.yml' },
        reasons: [{ code: 'in-deploy-unit', unit: instance }],
        dependencies: [instance],
      }),
      change({
        address: check,
        role: 'check',
        actions: ['no-op'],
        before: { name: 'example.test', server: ns.ip, type: 'SOA' },
        after: { name: 'example.test', server: ns.ip, type: 'SOA' },
      }),
      change({
        address: route,
        role: 'route',
        actions: ['update'],
        before: { listen: `127.0.0.${ns.key === 'ns1' ? 10 : 11}:53`, servers: [`${ns.ip}:53`] },
        after: { listen: `127.0.0.${ns.key === 'ns1' ? 10 : 11}:53`, servers: [UNKNOWN] },
        reasons: [{ code: 'in-deploy-unit', unit: instance }],
        dependencies: [instance],
      }),
      change({
        address: postCheck,
        role: 'check',
        actions: ['no-op'],
        before: { name: 'example.test', server: '127.0.0.10', type: 'SOA' },
        after: { name: 'example.test', server: '127.0.0.10', type: 'SOA' },
      }),
    );
    units.push({ address: instance, provisions: [playbook], checks: [check], routes: [route], postChecks: [postCheck], priorGeneration: 1, plannedGeneration: 2 });
    const inUnit = { unit: instance } as const;
    const createInstance = step({ kind: 'create', address: instance, color: 'green', generation: 2, after: previousUnitEnd ? [previousUnitEnd] : [], ...inUnit });
    const createPlaybook = step({ kind: 'create', address: playbook, color: 'green', generation: 2, after: [createInstance.id], ...inUnit });
    const verify = step({ kind: 'verify', address: check, color: 'green', after: [createInstance.id, createPlaybook.id], ...inUnit });
    const switchRoute = step({
      kind: 'switch',
      address: route,
      color: 'green',
      after: [createInstance.id, createPlaybook.id, verify.id],
      switchFrom: `${ns.ip} (blue)`,
      switchTo: '(green)',
      ...inUnit,
    });
    const postVerify = step({ kind: 'verify', address: postCheck, color: 'green', afterSwitch: true, after: [switchRoute.id], ...inUnit });
    const destroyPlaybook = step({ kind: 'delete', address: playbook, color: 'blue', generation: 1, after: [switchRoute.id, postVerify.id], ...inUnit });
    const destroyInstance = step({ kind: 'delete', address: instance, color: 'blue', generation: 1, after: [switchRoute.id, postVerify.id, destroyPlaybook.id], ...inUnit });
    steps.push(createInstance, createPlaybook, verify, switchRoute, postVerify, destroyPlaybook, destroyInstance);
    previousUnitEnd = destroyInstance.id;
  }
  return planOf({ changes, units, steps, outputs: [{ name: 'resolver', before: '127.0.0.10', after: '127.0.0.10', sensitive: false }] });
}

/** `infra destroy --target lb`: the load balancer and what depends on it, in reverse order. */
export function destroyOnlyPlan(): Plan {
  const lb = 'linode_instance.lb';
  const changes = [
    change({ address: 'dns_check.lb["ns1"]', role: 'check', actions: ['delete'], before: { name: 'example.test', server: '192.0.2.20', type: 'SOA' }, reasons: [{ code: 'target-depends-on', target: lb }] }),
    change({ address: 'dns_check.lb["ns2"]', role: 'check', actions: ['delete'], before: { name: 'example.test', server: '192.0.2.20', type: 'SOA' }, reasons: [{ code: 'target-depends-on', target: lb }] }),
    change({
      address: lb,
      actions: ['delete'],
      before: { id: '2001', image: 'linode/debian12', ipv4: '192.0.2.20', label: 'lb', root_pass: new Sensitive('lb-root-pass'), tags: ['dns', 'lb'] },
      reasons: [{ code: 'targeted' }],
    }),
    change({ address: 'nginx_upstream.lb["ns1"]', role: 'route', actions: ['delete'], before: { listen: '192.0.2.20:53', servers: ['192.0.2.5:53'] }, reasons: [{ code: 'target-depends-on', target: lb }] }),
    change({ address: 'nginx_upstream.lb["ns2"]', role: 'route', actions: ['delete'], before: { listen: '192.0.2.20:53', servers: ['192.0.2.6:53'] }, reasons: [{ code: 'target-depends-on', target: lb }] }),
  ];
  const checks = ['ns1', 'ns2'].map((k) => step({ kind: 'delete', address: `dns_check.lb["${k}"]`, generation: 1 }));
  const routes = ['ns1', 'ns2'].map((k, i) => step({ kind: 'delete', address: `nginx_upstream.lb["${k}"]`, generation: 1, after: [checks[i].id] }));
  const instance = step({ kind: 'delete', address: lb, generation: 1, after: routes.map((r) => r.id) });
  return planOf({
    mode: 'destroy',
    targets: ['lb'],
    changes,
    steps: [...checks, ...routes, instance],
    outputs: [{ name: 'lb_address', before: '192.0.2.20', after: null, sensitive: false }],
  });
}

const ZONE_BEFORE = `$ORIGIN example.test.
$TTL 300
@   IN SOA ns1.example.test. hostmaster.example.test. (
        2024010101 ; serial
        3600 600 86400 300 )
@   IN NS  ns1.example.test.
@   IN NS  ns2.example.test.
ns1 IN A   192.0.2.5
ns2 IN A   192.0.2.6
www IN A   192.0.2.80
mail IN A  192.0.2.25
ftp IN A   192.0.2.21
`;

const ZONE_AFTER = ZONE_BEFORE.replace('2024010101 ; serial', '2024010102 ; serial')
  .replace('www IN A   192.0.2.80\n', 'www IN A   192.0.2.81\napi IN A   192.0.2.90\n')
  .replace('ftp IN A   192.0.2.21\n', '');

const NGINX_CONF = `stream {
    upstream dns {
        server 192.0.2.5:53;
        server 192.0.2.6:53;
    }
    server {
        listen 127.0.0.10:53 udp;
        proxy_pass dns;
    }
}
`;

/**
 * Every kind of change: create, update in place, delete-first and create-first replacement,
 * delete; multi-line strings (a zone file, an nginx configuration), nested lists and objects,
 * unknown values, sensitive values at the top level and nested, drift, targets' reasons and
 * output changes including a sensitive one.
 */
export function mixedPlan(): Plan {
  const changes = [
    change({
      address: 'bind_zone.example',
      actions: ['update'],
      before: { content: ZONE_BEFORE, file: '/etc/bind/db.example.test', name: 'example.test' },
      after: { content: ZONE_AFTER, file: '/etc/bind/db.example.test', name: 'example.test' },
    }),
    change({
      address: 'linode_instance.cache',
      actions: ['delete', 'create'],
      before: { disk: { size: 25600, type: 'ssd' }, id: '3001', image: 'linode/debian11', ipv4: '192.0.2.40', label: 'cache', root_pass: new Sensitive(SECRET), type: 'g6-nanode-1' },
      after: { disk: { size: 51200, type: 'ssd' }, id: UNKNOWN, image: 'linode/debian11', ipv4: UNKNOWN, label: 'cache', root_pass: new Sensitive(SECRET), type: 'g6-standard-1' },
      replacePaths: ['disk.size', 'type'],
    }),
    change({
      address: 'linode_instance.old',
      actions: ['delete'],
      before: { id: '999', image: 'linode/debian10', ipv4: '192.0.2.99', label: 'old', root_pass: new Sensitive(SECRET) },
      reasons: [{ code: 'not-in-configuration' }],
    }),
    change({
      address: 'linode_token.ci',
      actions: ['create', 'delete'],
      before: { expiry: '2025-01-01', label: 'ci', scopes: ['linodes:read_write'], token: new Sensitive(SECRET) },
      after: { expiry: '2026-01-01', label: 'ci', scopes: ['linodes:read_write', 'domains:read_only'], token: new Sensitive(UNKNOWN) },
      replacePaths: ['expiry'],
    }),
    change({
      address: 'local_file.nginx',
      actions: ['create'],
      after: {
        content: NGINX_CONF,
        environment: { API_KEY: new Sensitive(NESTED_SECRET), REGION: 'us-east' },
        filename: '/etc/nginx/conf.d/dns.conf',
        headers: ['X-Plan: 1', new Sensitive(NESTED_SECRET)],
        mode: '0644',
      },
    }),
    change({
      address: 'nginx_upstream.lb["main"]',
      role: 'route',
      actions: ['update'],
      before: {
        config: NGINX_CONF,
        listen: '127.0.0.10:53',
        servers: [
          { address: '192.0.2.5', port: 53, weight: 1 },
          { address: '192.0.2.6', port: 53, weight: 1 },
        ],
      },
      after: {
        config: NGINX_CONF.replace('192.0.2.6:53', '192.0.2.7:53'),
        listen: '127.0.0.10:53',
        servers: [
          { address: '192.0.2.5', port: 53, weight: 1 },
          { address: '192.0.2.7', port: 53, weight: 2 },
        ],
      },
      reasons: [{ code: 'target-depends-on', target: 'linode_instance.cache' }],
    }),
    change({ address: 'null_resource.noop', actions: ['no-op'], before: { id: '1' }, after: { id: '1' } }),
  ];
  const drift: Drift[] = [
    { address: 'linode_instance.gone', kind: 'deleted', before: { id: '555', label: 'gone', root_pass: new Sensitive(SECRET) }, after: null },
    { address: 'linode_instance.cache', kind: 'changed', before: { id: '3001', label: 'cache', tags: ['a'] }, after: { id: '3001', label: 'cache', tags: ['a', 'manual'] } },
  ];
  const deleteCache = step({ kind: 'delete', address: 'linode_instance.cache', generation: 1 });
  const createCache = step({ kind: 'create', address: 'linode_instance.cache', generation: 2, after: [deleteCache.id] });
  const updateZone = step({ kind: 'update', address: 'bind_zone.example', generation: 1 });
  const createToken = step({ kind: 'create', address: 'linode_token.ci', generation: 2 });
  const deleteToken = step({ kind: 'delete', address: 'linode_token.ci', generation: 1, after: [createToken.id] });
  const createFile = step({ kind: 'create', address: 'local_file.nginx', generation: 1 });
  const updateLb = step({ kind: 'update', address: 'nginx_upstream.lb["main"]', generation: 1, after: [createCache.id, createFile.id] });
  const deleteOld = step({ kind: 'delete', address: 'linode_instance.old', generation: 1, after: [updateLb.id] });
  return planOf({
    drift,
    changes,
    steps: [deleteCache, updateZone, createToken, createFile, createCache, deleteToken, updateLb, deleteOld],
    outputs: [
      { name: 'api_token', before: new Sensitive(SECRET), after: new Sensitive(UNKNOWN), sensitive: true },
      { name: 'cache_ip', before: '192.0.2.40', after: UNKNOWN, sensitive: false },
      { name: 'nameservers', before: undefined, after: ['192.0.2.5', '192.0.2.6'], sensitive: false },
      { name: 'old_ip', before: '192.0.2.99', after: null, sensitive: false },
      { name: 'zone', before: 'example.test', after: 'example.test', sensitive: false },
    ],
  });
}

/**
 * Data sources: a zone file read while planning (its content feeds a zone update), and a key read
 * during apply because its filename names an instance not created yet.
 */
export function dataSourcesPlan(): Plan {
  const zone = change({
    address: 'bind_zone.example',
    actions: ['update'],
    before: { content: ZONE_BEFORE, file: '/etc/bind/db.example.test', name: 'example.test' },
    after: { content: ZONE_AFTER, file: '/etc/bind/db.example.test', name: 'example.test' },
    dependencies: [],
  });
  const web = change({ address: 'local_host.web', actions: ['create'], after: { connection: 'local', dir: UNKNOWN, ipv4: UNKNOWN } });
  const updateZone = step({ kind: 'update', address: 'bind_zone.example', generation: 0 });
  const createWeb = step({ kind: 'create', address: 'local_host.web', generation: 0 });
  return {
    ...planOf({ changes: [zone, web], steps: [updateZone, createWeb] }),
    data: [
      {
        address: 'data.local_file.key',
        type: 'local_file',
        name: 'key',
        index: null,
        provider: 'local',
        values: { filename: UNKNOWN, content: UNKNOWN, content_sha256: UNKNOWN, id: UNKNOWN },
        deferred: 'config-unknown',
        dependencies: ['local_host.web'],
      },
      {
        address: 'data.local_file.zone',
        type: 'local_file',
        name: 'zone',
        index: null,
        provider: 'local',
        values: { filename: 'zones/example.test.zone', content: ZONE_AFTER, content_sha256: 'sha256-of-the-zone', id: 'sha1-of-the-zone' },
        dependencies: [],
      },
    ],
  };
}

/** Nothing to do: every change is a no-op. */
export function noChangesPlan(): Plan {
  return planOf({ changes: [change({ address: 'linode_instance.web', actions: ['no-op'], before: { id: '1', label: 'web' }, after: { id: '1', label: 'web' } })] });
}

/**
 * A plan of `n` resources: 60% created (`web_server.app[i]`), 30% updated (`dns_record.www[i]`),
 * 10% destroyed (`old_server.legacy[i]`), plus two blue-green deploy units, so size limits can
 * be tested at any scale. Creates come first, then updates, then destroys.
 */
export function generatedPlan(n: number): Plan {
  const creates = Math.round(n * 0.6);
  const deletes = Math.round(n * 0.1);
  const updates = Math.max(0, n - creates - deletes);
  const changes: ResourceChange[] = [];
  const steps: Step[] = [];
  for (let i = 0; i < creates; i++) {
    const address = `web_server.app[${i}]`;
    changes.push(change({ address, actions: ['create'], after: { id: UNKNOWN, image: 'debian-12', ipv4: UNKNOWN, name: `app-${i}`, size: 'small' } }));
    steps.push(step({ kind: 'create', address, generation: 1 }));
  }
  for (let i = 0; i < updates; i++) {
    const address = `dns_record.www[${i}]`;
    changes.push(change({ address, actions: ['update'], before: { name: `www${i}`, ttl: 300, value: `192.0.2.${i % 250}` }, after: { name: `www${i}`, ttl: 600, value: `192.0.2.${i % 250}` } }));
    steps.push(step({ kind: 'update', address, generation: 1, after: i < creates ? [steps[i].id] : [] }));
  }
  const units: DeployUnit[] = [];
  let previous: string | null = null;
  for (const key of ['a', 'b']) {
    const instance = `linode_instance.bg["${key}"]`;
    const check = `dns_check.bg["${key}"]`;
    const route = `nginx_upstream.bg["${key}"]`;
    changes.push(
      change({ address: instance, actions: ['create', 'delete'], blueGreen: true, before: { image: 'linode/debian11', ipv4: '192.0.2.200' }, after: { image: 'linode/debian12', ipv4: UNKNOWN }, replacePaths: ['image'] }),
      change({ address: route, role: 'route', actions: ['update'], before: { servers: ['192.0.2.200:53'] }, after: { servers: [UNKNOWN] } }),
    );
    units.push({ address: instance, provisions: [], checks: [check], routes: [route], postChecks: [], priorGeneration: 1, plannedGeneration: 2 });
    const c = step({ kind: 'create', address: instance, color: 'green', unit: instance, generation: 2, after: previous ? [previous] : [] });
    const v = step({ kind: 'verify', address: check, color: 'green', unit: instance, after: [c.id] });
    const s = step({ kind: 'switch', address: route, color: 'green', unit: instance, after: [v.id], switchFrom: '192.0.2.200 (blue)', switchTo: '(green)' });
    const d = step({ kind: 'delete', address: instance, color: 'blue', unit: instance, generation: 1, after: [s.id] });
    steps.push(c, v, s, d);
    previous = d.id;
  }
  for (let i = 0; i < deletes; i++) {
    const address = `old_server.legacy[${i}]`;
    changes.push(change({ address, actions: ['delete'], before: { id: `${9000 + i}`, image: 'debian-10', name: `legacy-${i}` }, reasons: [{ code: 'not-in-configuration' }] }));
    steps.push(step({ kind: 'delete', address, generation: 1 }));
  }
  return planOf({ changes, units, steps });
}

/** Builders by name, for golden fixture folders (`case.json`: `{"plan": "blueGreenPlan"}`). */
export const PLAN_BUILDERS: Readonly<Record<string, (...args: number[]) => Plan>> = {
  blueGreenPlan,
  destroyOnlyPlan,
  mixedPlan,
  noChangesPlan,
  generatedPlan,
  dataSourcesPlan,
};
