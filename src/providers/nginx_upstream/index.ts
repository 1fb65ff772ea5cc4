/**
 * The `nginx` provider: `nginx_upstream`, the route of a blue-green deploy. Switching traffic
 * from blue to green is an update of `servers` from [blue] to [green]: one tested, atomic file
 * swap and one graceful reload (docs/providers/nginx_upstream.md, "Zero-downtime switch", says
 * why one reload and not two).
 */
import { error, hasErrors, type Diagnostic } from '../../diagnostics.js';
import type { Json } from '../../evaluate/value.js';
import type { PlanResponse, Provider, ResourceType } from '../contract.js';
import { readSettings, renderStreamConfig, type UpstreamSettings } from './render.js';
import { nginxUpstreamSchema } from './schema.js';
import { sameNginx, siteFor } from './site.js';
import { describeOpen } from './connections.js';

function stateOf(config: Readonly<Record<string, Json>>, rendered: string): Readonly<Record<string, Json>> {
  return { ...config, config: rendered };
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
    if (!r.settings) return { planned: {}, diagnostics: r.diagnostics };
    return { planned: { config: renderStreamConfig(r.settings, req.address) }, diagnostics: [] };
  },

  async read(req, ctx) {
    const r = readSettings(req.prior, req.address);
    if (!r.settings) return { state: req.prior, diagnostics: [] };
    const { content, diagnostics } = await siteFor(r.settings.lb, r.settings.name).read(ctx);
    if (diagnostics.length > 0) return { state: req.prior, diagnostics };
    if (content === null) return { state: null, diagnostics: [] };
    return { state: { ...req.prior, config: content }, diagnostics: [] };
  },

  async create(req, ctx) {
    const { settings, diagnostics } = settingsOrDiagnostics(req.config, req.address);
    if (!settings) return { state: null, diagnostics };
    const rendered = renderStreamConfig(settings, req.address);
    const installed = await siteFor(settings.lb, settings.name).install(rendered, {}, ctx);
    if (hasErrors(installed)) return { state: null, diagnostics: installed };
    return { state: stateOf(req.config, rendered), diagnostics: installed };
  },

  async update(req, ctx) {
    const { settings, diagnostics } = settingsOrDiagnostics(req.config, req.address);
    if (!settings) return { state: req.prior, diagnostics };
    const rendered = renderStreamConfig(settings, req.address);
    const site = siteFor(settings.lb, settings.name);
    const before = readSettings(req.prior, req.address).settings;
    const previous = before ? siteFor(before.lb, before.name) : undefined;

    if (before && previous && !sameNginx(before.lb, settings.lb)) {
      // Moving to another load balancer: the new one first, so traffic through it works before
      // the old one stops carrying it.
      const installed = await site.install(rendered, {}, ctx);
      if (hasErrors(installed)) return { state: req.prior, diagnostics: installed };
      const removed = await previous.remove(ctx);
      const leftovers = removed.map((d) => ({
        ...d,
        severity: 'warning' as const,
        detail: `${d.detail ?? ''}\n${req.address} now lives on ${site.description}; ${previous.file} on ${previous.description} is left behind.`.trim(),
      }));
      return { state: stateOf(req.config, rendered), diagnostics: [...installed, ...leftovers] };
    }

    // A renamed upstream retires its old file in the same reload (both would listen on one port).
    const replacing = previous && previous.file !== site.file ? previous.file : undefined;
    const installed = await site.install(rendered, replacing === undefined ? {} : { replacing }, ctx);
    if (hasErrors(installed)) return { state: req.prior, diagnostics: installed };
    return { state: stateOf(req.config, rendered), diagnostics: installed };
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
    const site = siteFor(before.lb, before.name);
    const r = await site.openTo(left, ctx);
    if (!r.open) return { drained: false, remaining: '', diagnostics: [error(`Cannot see the connections of ${site.description}`, r.problem)] };
    const open = describeOpen(r.open);
    return { drained: open === '', remaining: open === '' ? '' : `${open} from ${site.description} to ${left.join(', ')}`, diagnostics: [] };
  },

  async delete(req, ctx) {
    const r = readSettings(req.prior, req.address);
    if (!r.settings) return { diagnostics: [] };
    return { diagnostics: await siteFor(r.settings.lb, r.settings.name).remove(ctx) };
  },
};

/** The `nginx` provider. */
export const provider: Provider = {
  name: 'nginx',
  description: 'nginx stream upstreams (UDP/TCP load balancing)',
  configSchema: {},
  resourceTypes: { nginx_upstream: nginxUpstream },
};
