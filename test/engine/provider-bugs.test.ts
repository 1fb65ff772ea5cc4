/**
 * A provider that throws (a bug, such as `TypeError: got.value.data is not iterable` on an API
 * answer it did not expect) ends the command with a clear message naming the provider and the
 * instance - no stack trace - and leaves no stale lock and no changed state behind.
 */
import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordingProvider } from '../support/recording-provider.js';
import { runCli, tempConfig } from '../support/cli.js';

const CONFIG = 'resource "test_instance" "web" {\n  name = "web"\n}\n\nresource "test_provision" "web" {\n  host   = test_instance.web\n  script = "v1"\n}\n';

describe('engine: a provider that throws', () => {
  let provider: RecordingProvider;
  let unregister: () => void;
  let cfg: { dir: string; cleanup: () => void };

  beforeEach(async () => {
    provider = new RecordingProvider();
    unregister = provider.register();
    cfg = tempConfig({ 'main.infra': CONFIG });
    expect((await runCli(['apply', '--auto-approve'], { cwd: cfg.dir })).code).to.equal(0);
  });
  afterEach(() => {
    unregister();
    cfg.cleanup();
  });

  const cli = (...args: string[]) => runCli(args, { cwd: cfg.dir });
  const statePath = () => join(cfg.dir, 'infra.state.json');
  const throwOnRead = (): void => {
    provider.fail = (c) => {
      if (c.op === 'read' && c.address === 'test_instance.web') throw new TypeError('got.value.data is not iterable');
      return undefined;
    };
  };
  const REFRESH_ERROR =
    'Error: Internal error in provider "test" while reading test_instance.web\n' +
    'TypeError: got.value.data is not iterable\n' +
    'This is a bug in the provider; please report it. Nothing was changed.\n';

  for (const command of [['plan'], ['apply', '--auto-approve'], ['destroy', '--auto-approve']]) {
    it(`during refresh (${command[0]}): a clear error, exit 1, no stale lock, state unchanged`, async () => {
      const before = readFileSync(statePath(), 'utf8');
      throwOnRead();
      const r = await cli(...command);
      expect(r.stderr).to.equal(REFRESH_ERROR);
      expect(r.code).to.equal(1);
      expect(existsSync(`${statePath()}.lock`)).to.equal(false);
      expect(readFileSync(statePath(), 'utf8')).to.equal(before);
      // Once the provider behaves, the same command works: nothing was left locked.
      provider.fail = () => undefined;
      expect((await cli(...command)).code).to.equal(0);
    });
  }

  it('during an apply step: the step fails with the error, not a stack trace', async () => {
    provider.fail = (c) => {
      if (c.op === 'update' && c.address === 'test_provision.web') throw new TypeError("Cannot read properties of undefined (reading 'id')");
      return undefined;
    };
    writeFileSync(join(cfg.dir, 'main.infra'), CONFIG.replace('"v1"', '"v2"'));
    const r = await cli('apply', '--auto-approve');
    expect(r.code).to.equal(1);
    expect(r.stderr.replace(/after [\d.]+s/, 'after Ns')).to.equal(
      'Error: Internal error in provider "test" while modifying test_provision.web\n' +
        "TypeError: Cannot read properties of undefined (reading 'id')\n" +
        'This is a bug in the provider; please report it. The state holds what was done before it.\n' +
        'Apply failed after Ns: update test_provision.web failed; 0 of 1 steps done.\n',
    );
    expect(existsSync(`${statePath()}.lock`)).to.equal(false);
  });
});
