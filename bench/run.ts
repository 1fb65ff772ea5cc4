/**
 * `npm run bench`: runs every benchmark case in a process of its own and writes the results,
 * with the machine they ran on, to docs/benchmarks.md. Targets are compared as ratios and
 * absolute numbers in one run; nothing here is a pass/fail test.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, totalmem, release } from 'node:os';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { destroyPlanRows, playbookPlanRows } from './scale.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The best of `repeat` fresh processes, with the median time of all of them (`medianMs`). */
function runCase(name: string, n: number, repeat = 3, extra: string[] = []): Record<string, number | string> {
  let best: Record<string, number | string> | null = null;
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const out = execFileSync(process.execPath, ['--import=tsx/esm', 'bench/case.ts', name, String(n), ...extra], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number | string>;
    times.push(r.ms as number);
    if (!best || (r.ms as number) < (best.ms as number)) best = r;
  }
  const result = { ...best!, medianMs: median(times) };
  process.stderr.write(`${name} ${n}: ${JSON.stringify(result)}\n`);
  return result;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeCommand(args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}

const f = (x: number | string): string => (typeof x === 'number' ? x.toFixed(0) : x);

async function main(): Promise<void> {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  const rows: string[] = [];
  const pe1k = runCase('parse-evaluate', 1000, 5);
  const pe10k = runCase('parse-evaluate', 10000, 5);
  const hcl1k = runCase('hcl2json', 1000);
  const hcl10k = runCase('hcl2json', 10000);
  const peModules = runCase('parse-evaluate-modules', 10000, 5);
  const parseFast = runCase('parse-only', 10000, 5);
  const parseGrammar = runCase('parse-grammar', 10000, 5);
  rows.push(
    '## Language: parse + evaluate (issue 2)',
    '',
    '| resources | parse | evaluate | total | median of 5 | second run, same process | peak RSS | hcl2json parse only | ratio (hcl2json / infra) |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const [n, a, h] of [[1000, pe1k, hcl1k], [10000, pe10k, hcl10k]] as const) {
    rows.push(
      `| ${n.toLocaleString('en')} | ${f(a.parseMs)} ms | ${f(a.evaluateMs)} ms | **${f(a.ms)} ms** | ${f(a.medianMs)} ms | ${f(a.warmMs)} ms | ${a.maxRssMb} MB | ${f(h.ms)} ms | ${((h.ms as number) / (a.ms as number)).toFixed(2)}x |`,
    );
  }
  rows.push(
    '',
    "Target: 10,000 resources parsed and evaluated in under 500 ms; faster than `@cdktf/hcl2json` (Terraform's HCL parser in WebAssembly), which only parses.",
    '',
    `With modules: the 10,000 resources as 100 instances (a \`for_each\` call) of one module of 100 resources (bench/generate.ts \`generateModuleConfig\`), loaded, flattened (src/evaluate/modules.ts) and evaluated: best of 5 fresh processes **${f(peModules.ms)} ms** (load and flatten ${f(peModules.parseMs)} ms, of which flattening ${f(peModules.flattenMs)} ms; evaluate ${f(peModules.evaluateMs)} ms), median ${f(peModules.medianMs)} ms, peak RSS ${peModules.maxRssMb} MB. Less text to parse than the flat case (the module's text is read once), and every module instance's expressions rewritten.`,
    '',
    `Parsing alone, 10,000 resources, fresh process (best / median of 5): fast path ${f(parseFast.ms)} / ${f(parseFast.medianMs)} ms; the chevrotain grammar alone ${f(parseGrammar.ms)} / ${f(parseGrammar.medianMs)} ms (${((parseGrammar.ms as number) / (parseFast.ms as number)).toFixed(2)}x).`,
    '',
    '"total" is the best of 5 fresh processes, as a command runs (parse, evaluate: that run\'s split); "median of 5" shows how much the shared machine moves it. Much of a fresh process\'s time is V8 compiling the code while it runs, on the same two cores (the first thousand resources take several times as long as later ones). "second run" parses and evaluates another copy of the text in the same process: the steady state. Well-formed files are parsed by the fast path (src/parser/descent.ts); the chevrotain grammar parses files with mistakes. Each case runs with the V8 settings the `infra` process gives itself (src/v8-tuning.ts: allocation-site pretenuring off).',
    '',
  );
  const validateMs = timeCommand(['bin/infra.js', 'validate', '-C', 'examples/local'], 9);
  const helpMs = timeCommand(['bin/infra.js', '--version'], 9);
  const nodeMs = timeCommand(['-e', ''], 9);
  rows.push('## Start-up', '', '| command | median of 9 |', '|---|---|', `| \`node -e ""\` | ${f(nodeMs)} ms |`, `| \`infra --version\` | ${f(helpMs)} ms |`, `| \`infra validate -C examples/local\` | **${f(validateMs)} ms** |`, '', 'Target: `infra validate` on a small configuration under 300 ms.', '');
  const setup = runCase('plan-setup', 10000, 1);
  const plan10k = runCase('plan', 10000, 3, [String(setup.dir)]);
  rmSync(String(setup.dir), { recursive: true, force: true });
  const apply100 = runCase('apply', 100, 2);
  rows.push(
    '## Engine (issue 3)',
    '',
    '| case | time | peak RSS | target |',
    '|---|---|---|---|',
    `| plan 10,000 resources, \`--refresh=false\`, state matching (reading config and state: ${f(plan10k.loadMs)} ms more) | **${f(plan10k.ms)} ms** | ${plan10k.maxRssMb} MB | < 1 s, < 300 MB |`,
    `| apply 100 independent resources, provider calls 100 ms, parallelism 10 | **${f(apply100.ms)} ms** | ${apply100.maxRssMb} MB | < 1.3 s (critical path 1 s) |`,
    '',
  );
  rows.push(...playbookPlanRows(root), ...destroyPlanRows(runCase));
  if (!process.argv.includes('--no-switch')) {
    const out = spawnSync(process.execPath, ['--import=tsx/esm', 'bench/switch.ts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (out.status === 0) rows.push(out.stdout.trim(), '');
    else rows.push('## Zero-downtime switch', '', `Not measured: bench/switch.ts exited ${out.status} (it needs root and the packages from scripts/setup.sh).`, '');
  }
  if (!process.argv.includes('--no-lab')) {
    const out = spawnSync(process.execPath, ['--import=tsx/esm', 'bench/lab.ts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (out.status === 0) rows.push(out.stdout.trim(), '');
    else rows.push('## Production path on the lab', '', `Not measured: bench/lab.ts exited ${out.status} (it needs root and the packages from scripts/setup.sh).`, '');
  }
  if (!process.argv.includes('--no-pg')) {
    const out = spawnSync(process.execPath, ['--import=tsx/esm', 'bench/pg.ts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (out.status === 0) rows.push(out.stdout.trim(), '');
    else rows.push('## Team state: the pg backend', '', `Not measured: bench/pg.ts exited ${out.status} (it needs PostgreSQL's server binaries from scripts/setup.sh).`, '');
  }
  const cpu = cpus()[0]?.model ?? 'unknown';
  const machine = `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}`;
  const doc = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}. Machine: ${machine}. Shared and noisy: each case ran in a process of its own, best of several runs; compare ratios within one run.`,
    '',
    ...rows,
  ].join('\n');
  writeFileSync(join(root, 'docs', 'benchmarks.md'), doc + '\n');
  process.stdout.write(doc + '\n');
}

await main();
