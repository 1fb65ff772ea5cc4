/**
 * The 10 MB configuration file the language promises (docs/language.md, "Limits"): a file with a
 * 10 MB heredoc and one with an 8.5 MB quoted string are parsed and evaluated by the real CLI
 * in a child process whose heap is capped, so "bounded memory" is checked, not assumed. Inputs
 * are generated, never committed.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempConfig } from '../support/cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const HEAP_MB = 512;

/** `infra ARGS` in a child process with a capped heap, run from the checkout (for tsx). */
async function infraCapped(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = "import { main } from './src/cli.ts'; process.exitCode = await main(process.argv.slice(1));";
  try {
    const r = await promisify(execFile)(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--import=tsx/esm', '--input-type=module', '-e', script, '--', ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

describe('cli: 10 MB configuration files', function () {
  this.timeout(120_000);
  let cfg: { dir: string; cleanup: () => void };
  const line = '    server 10.0.0.1:53; # a line of a large generated configuration, with $${escapes}\n';
  const lines = Math.ceil(10_000_000 / line.length);

  before(() => {
    cfg = tempConfig({});
    writeFileSync(
      join(cfg.dir, 'heredoc.infra'),
      `locals {\n  doc = <<-EOT\n${line.repeat(lines)}  EOT\n}\n\noutput "doc_lines" {\n  value = length(split("\\n", trimspace(local.doc)))\n}\n`,
    );
    writeFileSync(join(cfg.dir, 'flat.infra'), `locals {\n  flat = "${'a'.repeat(8_500_000)}"\n}\n\noutput "flat_length" {\n  value = length(local.flat)\n}\n`);
  });
  after(() => cfg.cleanup());

  it(`a 10 MB heredoc and an 8.5 MB quoted string parse and evaluate within a ${HEAP_MB} MB heap`, async () => {
    const v = await infraCapped([`-chdir=${cfg.dir}`, 'validate']);
    expect(v.stderr).to.equal('');
    expect(v.stdout).to.equal('Success! The configuration is valid.\n');
    expect(v.code).to.equal(0);
    const p = await infraCapped([`-chdir=${cfg.dir}`, 'plan', '-json']);
    expect(p.stderr).to.equal('');
    expect(p.code).to.equal(0);
    const outputs = JSON.parse(p.stdout).output_changes;
    expect(outputs.doc_lines.after).to.equal(lines);
    expect(outputs.flat_length.after).to.equal(8_500_000);
  });

  it('a file over the 16 MiB limit is refused by name, before it is parsed', async () => {
    const over = tempConfig({});
    try {
      writeFileSync(join(over.dir, 'huge.infra'), `x = "${'a'.repeat(16 * 1024 * 1024)}"\n`);
      const r = await infraCapped([`-chdir=${over.dir}`, 'validate']);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.equal('Error: Cannot read "huge.infra": larger than 16 MiB\n');
    } finally {
      over.cleanup();
    }
  });
});
