/**
 * `infra state orphans` says which providers it could not check: a provider without an orphan
 * finder (local_host's, the recording provider's) cannot list what it made, and "no orphans"
 * would otherwise claim more than was looked at.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { RecordingProvider } from '../support/recording-provider.js';
import { runCli, tempConfig } from '../support/cli.js';

describe('engine: state orphans names the providers it could not check', () => {
  let provider: RecordingProvider;
  let unregister: () => void;
  let cfg: { dir: string; cleanup: () => void };

  beforeEach(async () => {
    provider = new RecordingProvider();
    unregister = provider.register();
  });
  afterEach(() => {
    unregister();
    cfg.cleanup();
  });

  const cli = (...args: string[]) => runCli(args, { cwd: cfg.dir });

  it('no provider of the state can look: says nothing was checked', async () => {
    cfg = tempConfig({ 'main.infra': 'resource "test_instance" "web" {\n  name = "web"\n}\n' });
    expect((await cli('apply', '--auto-approve')).code).to.equal(0);
    const r = await cli('state', 'orphans');
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.equal('Nothing was checked: the provider test cannot list the objects it made, so objects it made for this state that the state does not hold would not be found.\n');
    expect(r.code).to.equal(0);
  });

  it('some providers can look, others cannot: names those not checked', async () => {
    provider.orphans = {
      listOrphans: async () => ({ orphans: [], diagnostics: [] }),
      deleteOrphan: async () => ({ diagnostics: [] }),
    };
    cfg = tempConfig({ 'main.infra': 'resource "test_instance" "web" {\n  name = "web"\n}\n' });
    expect((await cli('apply', '--auto-approve')).code).to.equal(0);
    // A local_host in the configuration loads the local provider, which has no orphan finder.
    writeFileSync(`${cfg.dir}/main.infra`, 'resource "test_instance" "web" {\n  name = "web"\n}\n\nresource "local_host" "box" {\n  name = "box"\n}\n');
    const r = await cli('state', 'orphans');
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.equal(
      'No orphans found by test: every object it made for this state is in the state.\n' +
        'Not checked: local (it cannot list the objects it made, so objects it made for this state that the state does not hold would not be found).\n',
    );
    expect(r.code).to.equal(0);
  });

  it('every provider can look: the plain answer', async () => {
    provider.orphans = {
      listOrphans: async () => ({ orphans: [], diagnostics: [] }),
      deleteOrphan: async () => ({ diagnostics: [] }),
    };
    cfg = tempConfig({ 'main.infra': 'resource "test_instance" "web" {\n  name = "web"\n}\n' });
    expect((await cli('apply', '--auto-approve')).code).to.equal(0);
    const r = await cli('state', 'orphans');
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.equal('No orphans: every object the providers made for this state is in the state.\n');
  });
});
