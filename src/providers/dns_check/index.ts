/**
 * The `dns` provider: `dns_check`, the check of a blue-green deploy. Creating or updating it is
 * verifying it; it owns nothing in the world, so reading keeps the prior state and deleting does
 * nothing.
 */
import { error, type Diagnostic } from '../../diagnostics.js';
import type { Json } from '../../evaluate/value.js';
import type { OperationContext, Provider, ResourceType, VerifyResponse } from '../contract.js';
import { runCheck } from './check.js';
import { readCheckSpec } from './config.js';
import { dnsCheckSchema } from './schema.js';

async function verify(config: Readonly<Record<string, Json>>, address: string, ctx: OperationContext): Promise<VerifyResponse> {
  const { spec, diagnostics } = readCheckSpec(config, address);
  if (!spec) {
    const problems = diagnostics.length > 0 ? diagnostics : [error(`Configuration of ${address} is not fully known`)];
    return { passed: false, details: `${address} was not checked: its configuration is invalid`, diagnostics: problems };
  }
  const result = await runCheck(spec, ctx.signal, (line) => ctx.log(`${address}: ${line}`));
  const interrupted: Diagnostic[] = result.aborted ? [error(`Checking ${address} was interrupted`, result.details)] : [];
  return { passed: result.passed, details: result.details, diagnostics: interrupted };
}

/** A failed verify as the error diagnostic of a create or update. */
function failure(address: string, verdict: VerifyResponse): readonly Diagnostic[] {
  if (verdict.diagnostics.length > 0) return verdict.diagnostics;
  return [error(`${address} failed`, verdict.details)];
}

const dnsCheck: ResourceType = {
  schema: dnsCheckSchema,

  plan(req) {
    const { diagnostics } = readCheckSpec(req.config, req.address);
    return { planned: {}, diagnostics };
  },

  async read(req) {
    return { state: req.prior, diagnostics: [] };
  },

  async create(req, ctx) {
    const verdict = await verify(req.config, req.address, ctx);
    if (!verdict.passed) return { state: null, diagnostics: failure(req.address, verdict) };
    ctx.log(`${req.address}: ${verdict.details}`);
    return { state: req.config, diagnostics: [] };
  },

  async update(req, ctx) {
    const verdict = await verify(req.config, req.address, ctx);
    if (!verdict.passed) return { state: req.prior, diagnostics: failure(req.address, verdict) };
    ctx.log(`${req.address}: ${verdict.details}`);
    return { state: req.config, diagnostics: [] };
  },

  async delete() {
    return { diagnostics: [] };
  },

  verify(req, ctx) {
    return verify(req.config, req.address, ctx);
  },
};

/** The `dns` provider. */
export const provider: Provider = {
  name: 'dns',
  description: 'DNS checks over UDP and TCP',
  configSchema: {},
  resourceTypes: { dns_check: dnsCheck },
};
