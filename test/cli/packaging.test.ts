/**
 * What `npm pack` ships: the files the README links to, a LICENSE, the bundled CLI and nothing
 * installed twice. dist/ bundles every runtime dependency (scripts/build.mjs), so package.json
 * declares none: the packed tarball installs with no network and runs.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { builtinModules } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** What a run leaves in examples/ (state, its backups, host keys, saved plans): never shipped. */
const LEFT_BY_A_RUN = [`examples/local/.infra/packaging-test-${process.pid}`, `examples/local/infra.state.json.packaging-test-${process.pid}`, `examples/local/packaging-test-${process.pid}.plan.json`];

describe('packaging (npm pack)', function () {
  this.timeout(180_000);
  let shipped: Set<string>;
  let tarball: string;
  let work: string;
  let tracked: string[];

  before(async () => {
    // npm test builds first; a lone run of this file builds what is missing.
    if (!existsSync(join(root, 'dist', 'cli.js')) || !existsSync(join(root, 'dist', 'demo.js'))) {
      await run(process.execPath, ['scripts/build.mjs'], { cwd: root });
    }
    work = mkdtempSync(join(tmpdir(), 'infra-pack-'));
    const madeInfraDir = !existsSync(join(root, 'examples/local/.infra'));
    mkdirSync(join(root, 'examples/local/.infra'), { recursive: true });
    for (const f of LEFT_BY_A_RUN) writeFileSync(join(root, f), 'left by a run\n');
    try {
      ({ shipped, tarball } = await pack(work));
    } finally {
      for (const f of LEFT_BY_A_RUN) rmSync(join(root, f), { force: true });
      if (madeInfraDir) rmSync(join(root, 'examples/local/.infra'), { recursive: true, force: true });
    }
    tracked = (await run('git', ['ls-files', 'docs', 'examples', 'ansible'], { cwd: root })).stdout.split('\n').filter((l) => l !== '');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  async function pack(into: string): Promise<{ shipped: Set<string>; tarball: string }> {
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', into], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    return { shipped: new Set(info.files.map((f) => f.path)), tarball: join(into, info.filename) };
  }

  it('has a name no other package has, the infra binary, and the MIT licence in a LICENSE file', () => {
    expect(pkg.name).to.equal('infra-bluegreen');
    expect(pkg.bin).to.deep.equal({ infra: 'bin/infra.js' });
    expect(pkg.license).to.equal('MIT');
    expect(readFileSync(join(root, 'LICENSE'), 'utf8').split('\n').slice(0, 3)).to.deep.equal(['MIT License', '', 'Copyright (c) 2026 the infra authors']);
  });

  it('declares no runtime dependency: dist/ bundles them all', () => {
    expect(pkg.dependencies).to.equal(undefined);
    const names = readdirSync(join(root, 'dist'))
      .filter((f) => f.endsWith('.js'))
      .flatMap((f) => [...readFileSync(join(root, 'dist', f), 'utf8').matchAll(/(?:\bfrom |\bimport\(|\brequire\()"((?:@[a-z0-9-]+\/)?[a-z0-9][a-z0-9._-]*)(?:\/[^"]*)?"/g)].map((m) => m[1]));
    // Only Node's own modules are left to load at run time; pg tries its optional native binding
    // in a try/catch and uses its JavaScript client without it.
    const builtin = new Set(builtinModules.map((m) => m.replace(/^node:/, '').split('/')[0]));
    expect([...new Set(names.map((n) => n.replace(/^node:/, '')).filter((n) => !builtin.has(n.split('/')[0]) && n !== 'pg-native'))]).to.deep.equal([]);
  });

  it('ships LICENSE, README, the binary, the bundle, every doc, the examples and the playbooks; no sources or tests', () => {
    for (const f of ['LICENSE', 'README.md', 'package.json', 'bin/infra.js', 'dist/cli.js', 'dist/demo.js']) expect(shipped.has(f), f).to.equal(true);
    expect(tracked.length).to.be.greaterThan(10);
    for (const f of tracked) expect(shipped.has(f), f).to.equal(true);
    expect([...shipped].filter((f) => /^(src|test|scripts|node_modules|bench)\//.test(f))).to.deep.equal([]);
  });

  it('never ships what a run leaves in examples/: state files, host keys, saved plans', () => {
    expect(LEFT_BY_A_RUN.filter((f) => shipped.has(f))).to.deep.equal([]);
  });

  it('ships every file and folder the README links to', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)#:]+)(?:#[^)]*)?\)/g)].map((m) => m[1]);
    expect(links.length).to.be.greaterThan(10);
    const missing = links.filter((l) => !shipped.has(l) && ![...shipped].some((f) => f.startsWith(l.replace(/\/?$/, '/'))));
    expect(missing).to.deep.equal([]);
  });

  it('the tarball installs without the network and `infra` runs from it', async () => {
    const project = join(work, 'project');
    await run('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), '{ "name": "uses-infra", "private": true }\n');
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: project });
    const { stdout } = await run(join(project, 'node_modules', '.bin', 'infra'), ['version'], { cwd: project });
    expect(stdout).to.equal(`infra v${pkg.version}\non ${process.platform}_${process.arch}, node ${process.version}\n`);
    expect(readdirSync(join(project, 'node_modules')).sort()).to.deep.equal(['.bin', '.package-lock.json', 'infra-bluegreen']);
  });
});
