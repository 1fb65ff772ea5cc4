/**
 * `infra fmt`'s flags, as terraform fmt has them (each expectation is what terraform v1.11.4
 * printed for the same files): listing, -check (exit 3), -diff, -write=false, -list=false,
 * -recursive (dot-directories skipped) and `-` (standard input).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtCommand } from '../../src/commands/fmt.js';
import type { Io } from '../../src/commands/io.js';
import { runCli, tempConfig } from '../support/cli.js';

const files = {
  'a.infra': 'a=1\n',
  'b.infra': 'b = 2\n',
  'sub/c.infra': 'c=3\n',
  'sub/deep/d.infra': 'd=4\n',
  '.hidden/h.infra': 'h=1\n',
};

describe('fmt command: terraform fmt flags', () => {
  let cfg: { dir: string; cleanup: () => void };
  beforeEach(() => {
    cfg = tempConfig(files);
  });
  afterEach(() => cfg.cleanup());
  const read = (p: string): string => readFileSync(join(cfg.dir, p), 'utf8');

  it('lists and rewrites the files that change, in the directory only', async () => {
    const r = await runCli(['fmt'], { cwd: cfg.dir });
    expect(r).to.deep.equal({ code: 0, stdout: 'a.infra\n', stderr: '' });
    expect(read('a.infra')).to.equal('a = 1\n');
    expect(read('sub/c.infra')).to.equal('c=3\n');
  });

  it('-check writes nothing, lists, and exits 3', async () => {
    const r = await runCli(['fmt', '-check'], { cwd: cfg.dir });
    expect(r).to.deep.equal({ code: 3, stdout: 'a.infra\n', stderr: '' });
    expect(read('a.infra')).to.equal('a=1\n');
  });

  it('-check exits 0 when nothing would change', async () => {
    const r = await runCli(['fmt', '-check', 'b.infra'], { cwd: cfg.dir });
    expect(r).to.deep.equal({ code: 0, stdout: '', stderr: '' });
  });

  it('-recursive (and --recursive) descends into subdirectories but not dot-directories', async () => {
    const r = await runCli(['fmt', '-check', '-recursive'], { cwd: cfg.dir });
    expect(r).to.deep.equal({ code: 3, stdout: 'a.infra\nsub/c.infra\nsub/deep/d.infra\n', stderr: '' });
    const long = await runCli(['fmt', '--recursive', 'sub'], { cwd: cfg.dir });
    expect(long).to.deep.equal({ code: 0, stdout: 'sub/c.infra\nsub/deep/d.infra\n', stderr: '' });
    expect(read('sub/deep/d.infra')).to.equal('d = 4\n');
    expect(read('.hidden/h.infra')).to.equal('h=1\n');
  });

  it('-write=false lists without writing and exits 0', async () => {
    const r = await runCli(['fmt', '-write=false'], { cwd: cfg.dir });
    expect(r).to.deep.equal({ code: 0, stdout: 'a.infra\n', stderr: '' });
    expect(read('a.infra')).to.equal('a=1\n');
  });

  it('-list=false writes without listing', async () => {
    const r = await runCli(['fmt', '-list=false'], { cwd: cfg.dir });
    expect(r).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    expect(read('a.infra')).to.equal('a = 1\n');
  });

  it('-diff lists, prints the diff as terraform does, and writes', async () => {
    const r = await runCli(['fmt', '-diff'], { cwd: cfg.dir });
    expect(r).to.deep.equal({ code: 0, stdout: 'a.infra\n--- old/a.infra\n+++ new/a.infra\n@@ -1 +1 @@\n-a=1\n+a = 1\n', stderr: '' });
    expect(read('a.infra')).to.equal('a = 1\n');
  });

  it('-recursive -list=false -write=false -diff prints only the diffs', async () => {
    const r = await runCli(['fmt', '-recursive', '-list=false', '-write=false', '-diff'], { cwd: cfg.dir });
    expect(r.stdout).to.equal(
      [
        '--- old/a.infra\n+++ new/a.infra\n@@ -1 +1 @@\n-a=1\n+a = 1\n',
        '--- old/sub/c.infra\n+++ new/sub/c.infra\n@@ -1 +1 @@\n-c=3\n+c = 3\n',
        '--- old/sub/deep/d.infra\n+++ new/sub/deep/d.infra\n@@ -1 +1 @@\n-d=4\n+d = 4\n',
      ].join(''),
    );
    expect(r.code).to.equal(0);
    expect(read('a.infra')).to.equal('a=1\n');
  });

  it('a diff hunk of several lines has GNU counts and 3 lines of context', async () => {
    const c = tempConfig({ 'm.infra': 'locals {\na=1\nb = 2\nc = 3\nd = 4\ne = 5\nf = 6\ng=7\n}\n' });
    try {
      const r = await runCli(['fmt', '-diff', '-list=false', '-write=false'], { cwd: c.dir });
      expect(r.stdout).to.equal(
        '--- old/m.infra\n+++ new/m.infra\n@@ -1,9 +1,9 @@\n locals {\n-a=1\n-b = 2\n-c = 3\n-d = 4\n-e = 5\n-f = 6\n-g=7\n+  a = 1\n+  b = 2\n+  c = 3\n+  d = 4\n+  e = 5\n+  f = 6\n+  g = 7\n }\n',
      );
    } finally {
      c.cleanup();
    }
  });

  it('a file with syntax errors is left alone: errors on stderr, exit 1', async () => {
    const c = tempConfig({ 'bad.infra': 'locals {\n  a =\n}\n' });
    try {
      const r = await runCli(['fmt'], { cwd: c.dir });
      expect(r.code).to.equal(1);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.include('bad.infra:2');
      expect(readFileSync(join(c.dir, 'bad.infra'), 'utf8')).to.equal('locals {\n  a =\n}\n');
    } finally {
      c.cleanup();
    }
  });

  it('a path that does not exist is an error', async () => {
    const r = await runCli(['fmt', 'nope.infra'], { cwd: cfg.dir });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('No such file or directory: nope.infra');
  });

  it('-write takes true or false', async () => {
    const r = await runCli(['fmt', '-write=maybe'], { cwd: cfg.dir });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('--write takes true or false.');
    expect(existsSync(join(cfg.dir, 'a.infra'))).to.equal(true);
  });
});

describe('fmt command: standard input', () => {
  function io(): { io: Io; out: () => string; err: () => string } {
    let out = '';
    let err = '';
    return {
      io: { cwd: '/', env: {}, out: (t) => void (out += t), err: (t) => void (err += t), color: false, errColor: false, sources: new Map() },
      out: () => out,
      err: () => err,
    };
  }
  const stdin = (text: string) => async (): Promise<string> => text;

  it('- prints the formatted input', async () => {
    const t = io();
    expect(await fmtCommand(['-'], {}, t.io, stdin('x=1\n'))).to.equal(0);
    expect(t.out()).to.equal('x = 1\n');
  });

  it('- with -check prints nothing and exits 3 when the input would change, 0 when not', async () => {
    const t = io();
    expect(await fmtCommand(['-'], { check: true }, t.io, stdin('x=1\n'))).to.equal(3);
    expect(await fmtCommand(['-'], { check: true }, t.io, stdin('x = 1\n'))).to.equal(0);
    expect(t.out()).to.equal('');
  });

  it('- with -diff prints only the diff, against <stdin>', async () => {
    const t = io();
    expect(await fmtCommand(['-'], { diff: true }, t.io, stdin('x=1\n'))).to.equal(0);
    expect(t.out()).to.equal('--- old/<stdin>\n+++ new/<stdin>\n@@ -1 +1 @@\n-x=1\n+x = 1\n');
  });

  it('- with syntax errors prints them and exits 1', async () => {
    const t = io();
    expect(await fmtCommand(['-'], {}, t.io, stdin('x =\n'))).to.equal(1);
    expect(t.out()).to.equal('');
    expect(t.err()).to.include('<stdin>:1');
  });

  it('infra fmt - reads the process standard input', () => {
    const repo = fileURLToPath(new URL('../..', import.meta.url));
    const r = spawnSync(
      process.execPath,
      ['--import=tsx/esm', '--input-type=module', '-e', "const { main } = await import('./src/cli.ts'); process.exitCode = await main(['fmt', '-']);"],
      { cwd: repo, input: 'resource "a" "b" {\nx=1\n}\n', encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).to.deep.equal({ status: 0, stdout: 'resource "a" "b" {\n  x = 1\n}\n', stderr: '' });
  });
});
