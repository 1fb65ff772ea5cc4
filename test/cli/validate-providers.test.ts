/** `infra validate` checks every provider block, also those no resource uses. */
import { expect } from 'chai';
import { runCli, tempConfig } from '../support/cli.js';

describe('cli: validate checks provider blocks', () => {
  let cfg: { dir: string; cleanup: () => void } | undefined;
  afterEach(() => cfg?.cleanup());
  const validate = async (source: string) => {
    cfg = tempConfig({ 'main.infra': source });
    return runCli(['validate'], { cwd: cfg.dir, env: {} });
  };

  it('an unknown provider, with a suggestion', async () => {
    const r = await validate('provider "linod" {\n}\n');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('main.infra:1:1: Error: Unknown provider "linod"\n    1 | provider "linod" {\n      | ^^^^^^^^^^^^^^^^^^\nDid you mean "linode"?\n');
  });

  it('an unknown attribute with did-you-mean and a wrong type, though no resource uses the provider', async () => {
    const r = await validate('provider "linode" {\n  tokn               = "x"\n  min_retry_delay_ms = [1]\n}\n');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      [
        'main.infra:2:3: Error: Unsupported argument "tokn"',
        '    2 |   tokn               = "x"',
        '      |   ^^^^',
        'Did you mean "token"?',
        'main.infra:3:24: Error: Invalid value for "min_retry_delay_ms"',
        '    3 |   min_retry_delay_ms = [1]',
        '      |                        ^^^',
        'A number is required, got list.',
        '',
      ].join('\n'),
    );
  });

  it('a valid provider block with a variable passes (its value unknown at validate)', async () => {
    const r = await validate('variable "token" {\n  type      = string\n  sensitive = true\n}\n\nprovider "linode" {\n  token = var.token\n}\n');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
  });
});
