import { expect } from 'chai';
import type { Server } from 'node:net';
import type { Diagnostic } from '../../../src/diagnostics.js';
import { Sensitive, type Json, type Value } from '../../../src/evaluate/value.js';
import { forgetListings, listOrphans, provider } from '../../../src/providers/linode/index.js';
import { startLinodeEmulator, type LinodeEmulator } from '../../support/linode-emulator.js';
import { closeServer, fastProviderConfig, freePort, instanceConfig, listen, recordingContext } from '../../support/linode-harness.js';

const LINEAGE = '9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a';
const ADDRESS = 'linode_instance.ns["ns1"]';
const TOKEN = 'tok-Zq8v3LmN4pR7sT2wX5yA9bC1dE6fG0hJ';
const WRONG_TOKEN = 'tok-Wr0ngWr0ngWr0ngWr0ngWr0ngWr0ng';
const ROOT_PASS = 'Sup3r-Secret-Root-Pass!';
const instance = provider.resourceTypes.linode_instance;

/**
 * Drives every operation through success and failure paths and keeps everything the provider
 * says: log lines, diagnostics, states and plans. None of it may hold the token; the root
 * password may appear only as the state's `root_pass` (state is a secret) or inside a
 * Sensitive mark of a plan.
 */
describe('linode provider: secrets never leak', () => {
  let emu: LinodeEmulator;
  let listeners: Server[];
  let sshPort: number;

  beforeEach(async () => {
    emu = await startLinodeEmulator({ token: TOKEN, provisioningMs: 20, bootingMs: 20, deletingMs: 20 });
    sshPort = await freePort();
    listeners = [];
    emu.onCreated = (i) => {
      void listen(i.ipv4[0], sshPort).then((s) => listeners.push(s));
    };
    forgetListings();
  });
  afterEach(async () => {
    await Promise.all(listeners.map(closeServer));
    await emu.close();
  });

  it('keeps the token out of logs, diagnostics, plans and state, and root_pass out of all but state', async () => {
    const logs: string[] = [];
    const diagnostics: Diagnostic[] = [];
    const states: Array<Readonly<Record<string, Json>> | null> = [];
    const plans: Array<Readonly<Record<string, Value>>> = [];
    const context = (extra: Record<string, Json> = {}) => {
      const r = recordingContext(fastProviderConfig(emu, { ssh_port: sshPort, ...extra }), LINEAGE);
      return { ctx: { ...r.ctx, log: (line: string) => logs.push(line) } };
    };
    const config = (overrides: Record<string, Json> = {}) => instanceConfig({ root_pass: ROOT_PASS, ...overrides });

    // The happy path: plan, create, read, update, delete.
    const planned = instance.plan?.({ address: ADDRESS, generation: 1, config: { ...config(), root_pass: new Sensitive(ROOT_PASS) }, prior: null, configDir: '.' });
    if (planned) {
      plans.push(planned.planned);
      diagnostics.push(...planned.diagnostics);
    }
    const created = await instance.create({ address: ADDRESS, generation: 1, config: config(), configDir: '.' }, context().ctx);
    diagnostics.push(...created.diagnostics);
    states.push(created.state);
    const state = created.state as Record<string, Json>;
    expect(state.root_pass).to.equal(ROOT_PASS);
    const replan = instance.plan?.({ address: ADDRESS, generation: 1, config: { ...config(), root_pass: null }, prior: state, configDir: '.' });
    if (replan) plans.push(replan.planned);

    emu.injectFault({ method: 'GET', drop: 'before' });
    emu.injectFault({ method: 'GET', status: 503 });
    const read = await instance.read({ address: ADDRESS, generation: 1, prior: state }, context().ctx);
    diagnostics.push(...read.diagnostics);
    states.push(read.state);

    const updated = await instance.update({ address: ADDRESS, generation: 1, prior: state, config: config({ tags: ['dns'] }), configDir: '.' }, context().ctx);
    diagnostics.push(...updated.diagnostics);
    states.push(updated.state);

    // A proxy that echoes the request back in its error: the provider must scrub it.
    emu.injectFault({ method: 'PUT', status: 502, count: Infinity, reason: `upstream said: Authorization: Bearer ${TOKEN}; root_pass=${ROOT_PASS}` });
    const failedUpdate = await instance.update({ address: ADDRESS, generation: 1, prior: state, config: config({ label: 'renamed' }), configDir: '.' }, context({ max_retries: 1 }).ctx);
    diagnostics.push(...failedUpdate.diagnostics);
    states.push(failedUpdate.state);
    expect(failedUpdate.diagnostics[0].detail).to.include('Authorization: Bearer (redacted); root_pass=(redacted)');
    emu.clearFaults();

    // Refused creates: weak password, taken label, wrong token, timeout.
    for (const attempt of [
      { cfg: config({ label: 'weak', root_pass: 'weakweakweak' }), ctx: context().ctx, generation: 2 },
      { cfg: config(), ctx: context().ctx, generation: 1 },
      { cfg: config({ label: 'other' }), ctx: context({ token: WRONG_TOKEN }).ctx, generation: 2 },
      { cfg: config({ label: 'slow', timeouts: { create: '1ms', update: null, delete: null } }), ctx: context().ctx, generation: 2 },
    ]) {
      const r = await instance.create({ address: ADDRESS, generation: attempt.generation, config: attempt.cfg, configDir: '.' }, attempt.ctx);
      expect(r.diagnostics.length).to.be.greaterThan(0);
      diagnostics.push(...r.diagnostics);
      states.push(r.state);
    }
    diagnostics.push(...(provider.validateConfig?.({ token: TOKEN, url: 'gopher://x', poll_interval_ms: 0 }, { LINODE_TOKEN: TOKEN }) ?? []));

    const orphans = await listOrphans(context().ctx, []);
    diagnostics.push(...orphans.diagnostics);
    const deleted = await instance.delete({ address: ADDRESS, generation: 1, prior: state }, context().ctx);
    diagnostics.push(...deleted.diagnostics);

    const everything = JSON.stringify({ logs, diagnostics, states, orphans, plans: plans.map(withoutSensitiveValues) });
    expect(everything).not.to.include(TOKEN);
    expect(everything).not.to.include(WRONG_TOKEN);
    const statesWithoutRootPass = states.map((s) => (s ? { ...s, root_pass: null } : s));
    const outsideState = JSON.stringify({ logs, diagnostics, orphans, statesWithoutRootPass, plans: plans.map(withoutSensitiveValues) });
    expect(outsideState).not.to.include(ROOT_PASS);
    expect(logs.length).to.be.greaterThan(10);
    expect(diagnostics.length).to.be.greaterThan(5);
  });
});

/** What a renderer prints for a plan: sensitive values as "(sensitive value)". */
function withoutSensitiveValues(values: Readonly<Record<string, Value>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v instanceof Sensitive ? '(sensitive value)' : v]));
}
