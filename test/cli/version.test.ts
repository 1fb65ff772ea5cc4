import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runCli } from '../support/cli.js';

describe('cli: --version', () => {
  it("prints package.json's version, the one state and lock files record", async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    const r = await runCli(['--version'], { cwd: tmpdir() });
    expect(r).to.deep.equal({ code: 0, stdout: `infra v${version}\non ${process.platform}_${process.arch}, node ${process.version}\n`, stderr: '' });
  });
});
