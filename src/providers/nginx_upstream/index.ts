/**
 * The `nginx` provider: `nginx_upstream`, the route of a blue-green deploy. Switching traffic
 * from blue to green is an update of `servers` from [blue] to [green]: with `switch = "reload"`
 * one tested, atomic file swap and one graceful reload (docs/providers/nginx_upstream.md,
 * "Zero-downtime switch", says why one reload and not two); with `switch = "nftables"` one
 * nftables transaction, nginx untouched (steer.ts).
 */
import { error, hasErrors, type Diagnostic } from '../../diagnostics.js';
import type { Json } from '../../evaluate/value.js';
import type { PlanResponse, Provider, ResourceType } from '../contract.js';
import { readSettings, renderSteeringOf, renderStreamConfig, type UpstreamSettings } from './render.js';
import { nginxUpstreamSchema } from './schema.js';
import { sameNginx, siteFor } from './site.js';
import { describeOpen } from './connections.js';
import { SteerSite } from './steer.js';

function stateOf(config: Readonly<Record<string, Json>>, rendered: string, steering: string | null): Readonly<Record<string, Json>> {
  const { steering: _, ...rest } = config;
  return steering === null ? { ...rest, config: rendered } : { ...rest, config: rendered, steering };
}

function planned(settings: UpstreamSettings, address: string): Readonly<Record<string, Json>> {
  const steering = renderSteeringOf(settings, address);
  return steering === null ? { config: renderStreamConfig(settings, address) } : { config: renderStreamConfig(settings, address), steering };
}

function steerSiteOf(s: UpstreamSettings): SteerSite {
  return new SteerSite(s.lb, s.name);
}

function steerSettings(s: UpstreamSettings) {
  return { lbIpv4: s.lb.ipv4, port: s.steerPort, servers: s.servers, name: s.name };
}

/** The same steering table on the same load balancer. */
function sameSteering(a: UpstreamSettings, b: UpstreamSettings): boolean {
  return sameNginx(a.lb, b.lb) && a.name === b.name;
}

function settingsOrDiagnostics(config: Readonly<Record<string, Json>>, address: string): { settings?: UpstreamSettings; diagnostics: readonly Diagnostic[] } {
  const r = readSettings(config, address);
  if (r.settings) return { settings: r.settings, diagnostics: [] };
  // At apply everything is known; an unknown here is a bug in the caller, said plainly.
  return { diagnostics: r.diagnostics.length > 0 ? r.diagnostics : [error(`Configuration of ${address} is not fully known`)] };
}

const nginxUpstream: ResourceType = {
  schema: nginxUpstreamSchema,

  plan(req): PlanResponse {
    const r = readSettings(req.config, req.address);
    if (r.settings) return { planned: planned(r.settings, req.address), diagnostics: [] };
    if (!r.unknown || req.config.switch !== 'nftables') return { planned: {}, diagnostics: r.diagnostics };
    // With switch = "nftables" the nginx file does not depend on the servers: while only they are
    // unknown (a green server's address), the plan shows the file unchanged - no reload - and
    // only the steering rules as known after apply.
    const known = readSettings({ ...req.config, servers: ['0.0.0.0:53'] }, req.address);
    return { planned: known.settings ? { config: renderStreamConfig(known.settings, req.address) } : {}, diagnostics: [] };
  },

  async read(req, ctx) {
    const r = readSettings(req.prior, req.address);
    if (!r.settings) return { state: req.prior, diagnostics: [] };
    const { content, diagnostics } = await siteFor(r.settings.lb, r.settings.name).read(ctx);
    if (diagnostics.length > 0) return { state: req.prior, diagnostics };
    if (content === null) return { state: null, diagnostics: [] };
    if (r.settings.switchBy !== 'nftables') return { state: { ...req.prior, config: content }, diagnostics: [] };
    const steer = steerSiteOf(r.settings);
    const steering = await steer.read(ctx);
    if (steering.diagnostics.length > 0) return { state: req.prior, diagnostics: steering.diagnostics };
    return { state: { ...req.prior, config: content, steering: steering.content ?? `# table ip ${steer.table} is not loaded\n` }, diagnostics: [] };
  },

  async create(req, ctx) {
    const { settings, diagnostics } = settingsOrDiagnostics(req.config, req.address);
    if (!settings) return { state: null, diagnostics };
    const rendered = renderStreamConfig(settings, req.address);
    const steering = renderSteeringOf(settings, req.address);
    // The steer point works before nginx sends anything to it.
    const steered = steering === null ? [] : await steerSiteOf(settings).install(steering, steerSettings(settings), ctx);
    if (hasErrors(steered)) return { state: null, diagnostics: steered };
    const installed = await siteFor(settings.lb, settings.name).install(rendered, {}, ctx);
    if (hasErrors(installed)) {
      const cleaned = steering === null ? [] : await steerSiteOf(settings).remove(ctx);
      return { state: null, diagnostics: [...installed, ...cleaned] };
    }
    return { state: stateOf(req.config, rendered, steering), diagnostics: [...steered, ...installed] };
  },

  async update(req, ctx) {
    const { settings, diagnostics } = settingsOrDiagnostics(req.config, req.address);
    if (!settings) return { state: req.prior, diagnostics };
    const rendered = renderStreamConfig(settings, req.address);
    const steering = renderSteeringOf(settings, req.address);
    const site = siteFor(settings.lb, settings.name);
    const before = readSettings(req.prior, req.address).settings;
    const previous = before ? siteFor(before.lb, before.name) : undefined;
    const priorSteering = typeof req.prior.steering === 'string' ? req.prior.steering : null;
    const steeredBefore = before?.switchBy === 'nftables' ? before : undefined;
    const out: Diagnostic[] = [];

    // 1. The new steering first: the steer point works before nginx sends anything to it. With
    // switch = "nftables" a switch is this step alone.
    const sameTable = steeredBefore !== undefined && sameSteering(steeredBefore, settings);
    if (steering !== null && (steering !== priorSteering || !sameTable)) {
      const steered = await steerSiteOf(settings).install(steering, steerSettings(settings), ctx);
      if (hasErrors(steered)) return { state: req.prior, diagnostics: steered };
      out.push(...steered);
    }
    /** Puts the steering back as it was when nginx refuses what follows. */
    const undoSteering = async (): Promise<readonly Diagnostic[]> => {
      if (steering === null || steering === priorSteering) return [];
      if (sameTable && priorSteering !== null && !priorSteering.startsWith('# table ')) return steerSiteOf(settings).install(priorSteering, steerSettings(steeredBefore!), ctx);
      return sameTable ? [] : steerSiteOf(settings).remove(ctx);
    };

    // 2. nginx, when its file changes.
    const priorConfig = typeof req.prior.config === 'string' ? req.prior.config : null;
    if (!before || !previous || rendered !== priorConfig || !sameNginx(before.lb, settings.lb) || previous.file !== site.file) {
      if (before && previous && !sameNginx(before.lb, settings.lb)) {
        // Moving to another load balancer: the new one first, so traffic through it works before
        // the old one stops carrying it.
        const installed = await site.install(rendered, {}, ctx);
        if (hasErrors(installed)) return { state: req.prior, diagnostics: [...installed, ...(await undoSteering())] };
        const removed = await previous.remove(ctx);
        out.push(
          ...installed,
          ...removed.map((d) => ({
            ...d,
            severity: 'warning' as const,
            detail: `${d.detail ?? ''}\n${req.address} now lives on ${site.description}; ${previous.file} on ${previous.description} is left behind.`.trim(),
          })),
        );
      } else {
        // A renamed upstream retires its old file in the same reload (both would listen on one port).
        const replacing = previous && previous.file !== site.file ? previous.file : undefined;
        const installed = await site.install(rendered, replacing === undefined ? {} : { replacing }, ctx);
        if (hasErrors(installed)) return { state: req.prior, diagnostics: [...installed, ...(await undoSteering())] };
        out.push(...installed);
      }
    }

    // 3. Steering the configuration no longer uses (switch back to "reload", a rename, a move).
    if (steeredBefore && (steering === null || !sameTable)) {
      const removed = await steerSiteOf(steeredBefore).remove(ctx);
      out.push(...removed.map((d) => ({ ...d, severity: 'warning' as const })));
    }
    return { state: stateOf(req.config, rendered, steering), diagnostics: out };
  },

  /**
   * The old path is drained when the load balancer it ran through (the previous `lb`) has no TCP
   * connection and no UDP session left to a server the switch took out of `servers`.
   */
  async drained(req, ctx) {
    const before = readSettings(req.previous, req.address).settings;
    const now = readSettings(req.current, req.address).settings;
    if (!before) return { drained: true, remaining: '', diagnostics: [] };
    const still = now && sameNginx(before.lb, now.lb) ? new Set(now.servers) : new Set<string>();
    const left = before.servers.filter((s) => !still.has(s));
    if (left.length === 0) return { drained: true, remaining: '', diagnostics: [] };
    if (before.switchBy === 'nftables') {
      // nginx's sockets go to the steer point; where each flow went is in conntrack.
      const steer = steerSiteOf(before);
      const r = await steer.flowsTo(before.lb.ipv4, before.steerPort, left, ctx);
      if (!r.open) return { drained: false, remaining: '', diagnostics: [error(`Cannot see the flows through ${before.lb.ipv4}:${before.steerPort} on ${steer.description}`, r.problem)] };
      const open = describeOpen(r.open);
      return { drained: open === '', remaining: open === '' ? '' : `${open} from ${steer.description} to ${left.join(', ')}`, diagnostics: [] };
    }
    const site = siteFor(before.lb, before.name);
    const r = await site.openTo(left, ctx);
    if (!r.open) return { drained: false, remaining: '', diagnostics: [error(`Cannot see the connections of ${site.description}`, r.problem)] };
    const open = describeOpen(r.open);
    return { drained: open === '', remaining: open === '' ? '' : `${open} from ${site.description} to ${left.join(', ')}`, diagnostics: [] };
  },

  async delete(req, ctx) {
    const r = readSettings(req.prior, req.address);
    if (!r.settings) return { diagnostics: [] };
    const removed = await siteFor(r.settings.lb, r.settings.name).remove(ctx);
    // The steering goes once nginx no longer sends anything to it.
    if (hasErrors(removed) || r.settings.switchBy !== 'nftables') return { diagnostics: removed };
    return { diagnostics: [...removed, ...(await steerSiteOf(r.settings).remove(ctx))] };
  },
};

/** The `nginx` provider. */
export const provider: Provider = {
  name: 'nginx',
  description: 'nginx stream upstreams (UDP/TCP load balancing)',
  configSchema: {},
  resourceTypes: { nginx_upstream: nginxUpstream },
};
