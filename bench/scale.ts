/**
 * The scale cases of issue 12, as Markdown rows for docs/benchmarks.md (bench/run.ts calls them):
 *
 * - `infra plan --refresh=false` of 10,000 resources (5,000 `local_host` + 5,000
 *   `ansible_playbook` referring to them, empty state) as a fresh `bin/infra.js` process, with
 *   its peak memory; in the same run, where `terraform` is installed, `terraform plan
 *   -refresh=false` of 10,000 equivalent `terraform_data` resources, and the ratio;
 * - destroy plans of 2k/4k/8k/16k chained resources against normal plans of them (bench/case.ts
 *   `plan` with a state that matches, each in a fresh process).
 *
 * Time and peak RSS of a whole command come from GNU time (`/usr/bin/time -f %M`); without it,
 * the wall time alone.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePlaybookConfig, generateTerraformPlaybookConfig } from './generate.js';

type CaseRunner = (name: string, n: number, repeat?: number, extra?: string[]) => Record<string, number | string>;

/** The best wall time of `repeat` runs of a command (output discarded), with that run's peak RSS. */
export interface CommandMeasure {
  readonly ms: number;
  readonly medianMs: number;
  readonly maxRssMb: number | null;
}

const GNU_TIME = '/usr/bin/time';

/** Runs `command args` in `cwd` `repeat` times; throws when it fails. */
export function measureCommand(command: string, args: readonly string[], cwd: string, repeat: number, env: NodeJS.ProcessEnv = process.env): CommandMeasure {
  const rssFile = join(mkdtempSync(join(tmpdir(), 'infra-bench-time-')), 'rss');
  const runs: { ms: number; maxRssMb: number | null }[] = [];
  try {
    for (let i = 0; i < repeat; i++) {
      const timed = existsSync(GNU_TIME);
      const t0 = process.hrtime.bigint();
      const r = timed
        ? spawnSync(GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] })
        : spawnSync(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(-2000)}`);
      runs.push({ ms, maxRssMb: timed ? Math.round(Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024) : null });
    }
  } finally {
    rmSync(join(rssFile, '..'), { recursive: true, force: true });
  }
  const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  const sorted = runs.map((r) => r.ms).sort((a, b) => a - b);
  const result = { ...best, medianMs: sorted[Math.floor(sorted.length / 2)] };
  process.stderr.write(`${command} ${args.slice(0, 2).join(' ')}: ${JSON.stringify(result)}\n`);
  return result;
}

/** Terraform without telemetry, prompts or colour. */
const TERRAFORM_ENV: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' };

function terraformVersion(): string | null {
  const r = spawnSync('terraform', ['version'], { env: TERRAFORM_ENV, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : null;
}

const f = (x: number): string => x.toFixed(0);
const mb = (x: number | null): string => (x === null ? 'n/a' : `${x} MB`);

/** The plan of 10,000 resources, infra against Terraform where it is installed. */
export function playbookPlanRows(root: string, n = 10_000): string[] {
  const work = mkdtempSync(join(tmpdir(), 'infra-bench-playbooks-'));
  try {
    const dir = join(work, 'infra');
    cpSync(join(root, 'ansible'), join(dir, 'ansible'), { recursive: true });
    writeFileSync(join(dir, 'main.infra'), generatePlaybookConfig(n));
    const infra = measureCommand(process.execPath, [join(root, 'bin', 'infra.js'), 'plan', '-C', dir, '--refresh=false', '--no-color'], dir, 3);
    const rows = [
      '## Plan of 10,000 resources against Terraform (issue 12)',
      '',
      `${(n / 2).toLocaleString('en')} \`local_host\` + ${(n / 2).toLocaleString('en')} \`ansible_playbook\` of ansible/nameserver.yml, each referring to its host; empty state, \`--refresh=false\`; the whole command in a fresh process (\`node bin/infra.js plan\`, the plan printed), best of 3.`,
      '',
      '| command | time | median | peak RSS | target |',
      '|---|---|---|---|---|',
      `| \`infra plan -refresh=false\` | **${f(infra.ms)} ms** | ${f(infra.medianMs)} ms | ${mb(infra.maxRssMb)} | < 800 ms, < 200 MB |`,
    ];
    const version = terraformVersion();
    if (version === null) {
      rows.push('', 'Terraform: not measured (no `terraform` on PATH).', '');
      return rows;
    }
    const tf = join(work, 'terraform');
    cpSync(join(root, 'ansible'), join(tf, 'ansible'), { recursive: true });
    writeFileSync(join(tf, 'main.tf'), generateTerraformPlaybookConfig(n));
    measureCommand('terraform', ['init', '-input=false', '-no-color'], tf, 1, TERRAFORM_ENV);
    const terraform = measureCommand('terraform', ['plan', '-refresh=false', '-input=false', '-no-color'], tf, 1, TERRAFORM_ENV);
    const memory = infra.maxRssMb !== null && terraform.maxRssMb !== null ? `; memory ${(terraform.maxRssMb / infra.maxRssMb).toFixed(1)}x` : '';
    rows.push(
      `| \`terraform plan -refresh=false\` (${version}; ${n.toLocaleString('en')} \`terraform_data\`, the same references), one run | ${f(terraform.ms)} ms | | ${mb(terraform.maxRssMb)} | |`,
      '',
      `Terraform / infra: time **${(terraform.ms / infra.ms).toFixed(1)}x**${memory}.`,
      '',
    );
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Destroy plans of chained resources against normal plans of the same configuration and state. */
export function destroyPlanRows(runCase: CaseRunner, sizes: readonly number[] = [2000, 4000, 8000, 16000]): string[] {
  const rows = [
    '## Destroy plan of chained resources (issue 12)',
    '',
    'Each resource refers to the one before; the state matches the configuration; planning only (bench/case.ts `plan`), best of 3 fresh processes.',
    '',
    '| resources | normal plan | destroy plan | destroy / normal | target |',
    '|---|---|---|---|---|',
  ];
  for (const n of sizes) {
    const setup = runCase('plan-setup', n, 1, ['chain']);
    try {
      const normal = runCase('plan', n, 3, [String(setup.dir), 'normal']);
      const destroy = runCase('plan', n, 3, [String(setup.dir), 'destroy']);
      const ratio = (destroy.ms as number) / (normal.ms as number);
      rows.push(`| ${n.toLocaleString('en')} | ${f(normal.ms as number)} ms | **${f(destroy.ms as number)} ms** | ${ratio.toFixed(2)}x | ${n === sizes[sizes.length - 1] ? '< 1.5x' : ''} |`);
    } finally {
      rmSync(String(setup.dir), { recursive: true, force: true });
    }
  }
  rows.push('');
  return rows;
}
