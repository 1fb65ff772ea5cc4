import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordingProvider } from '../support/recording-provider.js';
import { runCli, tempConfig } from '../support/cli.js';
import { BLUE_GREEN } from '../support/configs.js';

describe('cli: -refresh-only', function () {
  this.timeout(60_000);
  let provider: RecordingProvider;
  let unregister: () => void;
  let cfg: { dir: string; cleanup: () => void };
  const cli = (...args: string[]) => runCli(args, { cwd: cfg.dir });
  const state = () => JSON.parse(readFileSync(join(cfg.dir, 'infra.state.json'), 'utf8'));

  before(async () => {
    provider = new RecordingProvider();
    unregister = provider.register();
    cfg = tempConfig({ 'main.infra': BLUE_GREEN });
    expect((await cli('apply', '--auto-approve')).code).to.equal(0);
    provider.deleteOutside('test_instance.ns["a"]');
  });
  after(() => {
    unregister();
    cfg.cleanup();
  });

  it('plan -refresh-only shows the drift and plans no change', async () => {
    const r = await cli('plan', '-refresh-only');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include('test_instance.ns["a"]');
    expect(r.stdout).to.not.include('Plan:');
    expect(r.stdout).to.include('No changes.');
  });

  it('apply -refresh-only writes the refreshed state and changes nothing', async () => {
    const serial = state().serial;
    provider.resetCalls();
    const r = await cli('apply', '-refresh-only', '-auto-approve');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(provider.calls.map((c) => c.op).filter((op) => op !== 'read')).to.deep.equal([]);
    const s = state();
    expect(s.serial).to.equal(serial + 1);
    expect(s.resources.map((x: { address: string }) => x.address)).to.not.include('test_instance.ns["a"]');
  });

  it('-refresh-only with -replace, -destroy or -out is an error', async () => {
    const r = await cli('plan', '-refresh-only', '-out=x.plan');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('Error: -refresh-only cannot be combined with -out');
  });
});
