/**
 * fmt parity: runs `terraform fmt` and `infra fmt` over a corpus of HCL files and reports where
 * they disagree. Not part of `npm test` (it needs a terraform binary and a corpus).
 *
 *   node --import=tsx/esm bench/fmt-parity.ts CORPUS_DIR [--terraform PATH] [--show N] [--only MODE]
 *
 * CORPUS_DIR holds `.tf` / `.hcl` files at any depth (for example files taken from public module
 * repositories). Each file is tried in several modes:
 * - `original`: the file as it is in the corpus (infra's output must equal terraform's);
 * - `formatted`: terraform's own output for the file (idempotence: infra must change nothing);
 * - `dedent`, `indent4`, `tight`, `spaced`: the formatted file mis-formatted on purpose (no
 *   indentation, four spaces a level, no spaces around `=` and `,`, every space doubled) and
 *   `legacy` (pre-0.12 style: `a = "${b}"`, `${ x }`, bare block labels) and `jitter` (the
 *   same tokens with random spaces and tabs between them and random indentation);
 *   infra's output must equal terraform's output for the same input.
 * A file terraform refuses (syntax errors) or infra cannot parse is counted apart, not compared.
 * Terraform runs once per mode over a temporary copy of the corpus (`terraform fmt -recursive`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { hasErrors } from '../src/diagnostics.js';
import { formatSource } from '../src/fmt/format.js';
import type { TokenType } from 'chevrotain';
import { parseFile } from '../src/parser/index.js';
import { scan } from '../src/parser/lexer.js';
import { DirectiveStart, HeredocEnd, HeredocStart, HeredocText, InterpStart, Newline, StringEnd, StringStart, TemplateText } from '../src/parser/tokens.js';

type Mode = 'original' | 'formatted' | 'dedent' | 'indent4' | 'tight' | 'spaced' | 'legacy' | 'jitter';
const MODES: readonly Mode[] = ['original', 'formatted', 'dedent', 'indent4', 'tight', 'spaced', 'legacy', 'jitter'];

/** Mis-formats a formatted file. Heredoc bodies change too: both formatters see the same input. */
const mutate: Record<Exclude<Mode, 'original'>, (s: string) => string> = {
  formatted: (s) => s,
  dedent: (s) => s.replace(/^[ \t]+/gm, ''),
  indent4: (s) => s.replace(/^( +)/gm, (m) => m + m),
  tight: (s) => s.replace(/ = /g, '=').replace(/, /g, ','),
  spaced: (s) => s.replace(/([^ \n]) (?=[^ \n])/g, '$1  '),
  // Pre-0.12 style: `"${ref}"` values, `${ x }` spacing, bare block labels.
  legacy: (s) =>
    s
      .replace(/^(\s*[a-z_]+ = )([a-z_][a-z0-9_.]*)$/gm, '$1"${$2}"')
      .replace(/\$\{([^{}"\n]+)\}/g, '${ $1 }')
      .replace(/^(resource|data|module|variable|output) ((?:"[A-Za-z_][A-Za-z0-9_-]*" ?)+)\{$/gm, (_, kw: string, labels: string) => `${kw} ${labels.replace(/"/g, '')}{`),
  jitter: (s) => jitter(s),
};

/** Punctuation next to which a space may be dropped without two tokens running together. */
const gluable = new Set(['(', ')', '[', ']', '{', '}', ',']);
/** Tokens after which (or before which) the gap is template text, not layout. */
const textBefore = new Set<TokenType>([StringStart, TemplateText, HeredocStart, HeredocText]);
const textAfter = new Set<TokenType>([TemplateText, StringEnd, HeredocText, HeredocEnd, InterpStart, DirectiveStart]);

/**
 * Random layout, same tokens: every gap between two tokens on one line (outside string text, with
 * no comment in it) becomes 0-3 spaces or a tab (0 only beside a bracket or comma), and every
 * line's indentation 0-7 spaces. Seeded by the text, so a run is repeatable.
 */
function jitter(source: string): string {
  let seed = 0;
  for (let i = 0; i < source.length; i++) seed = (seed * 31 + source.charCodeAt(i)) | 0;
  const random = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return (seed >>> 16) % n;
  };
  const { tokens, comments } = scan(source);
  const commentStarts = comments.map((c) => c.startOffset);
  let out = '';
  let at = 0;
  for (let i = 0; i + 1 < tokens.length; i++) {
    const a = tokens[i];
    const b = tokens[i + 1];
    const gapStart = a.startOffset + a.image.length;
    const gap = source.slice(gapStart, b.startOffset);
    if (a.tokenType === Newline) {
      if (/^[ \t]*$/.test(gap) && b.tokenType !== Newline && b.tokenType !== HeredocEnd) {
        out += source.slice(at, gapStart) + ' '.repeat(random(8));
        at = b.startOffset;
      }
      continue;
    }
    if (b.tokenType === Newline || textBefore.has(a.tokenType) || textAfter.has(b.tokenType)) continue;
    if (!/^[ \t]*$/.test(gap) || commentStarts.some((c) => c >= gapStart && c < b.startOffset)) continue;
    const canGlue = gluable.has(a.image) || gluable.has(b.image);
    const choice = random(5);
    const replacement = choice === 4 ? '\t' : ' '.repeat(choice === 0 && !canGlue ? 1 : choice);
    out += source.slice(at, gapStart) + replacement;
    at = b.startOffset;
  }
  return out + source.slice(at);
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.tf') || name.endsWith('.hcl')) out.push(p);
  }
  return out;
}

function terraformFmtAll(terraform: string, inputs: Map<string, string>): Map<string, string | null> {
  const work = mkdtempSync(join(tmpdir(), 'fmt-parity-'));
  try {
    const names = [...inputs.keys()];
    names.forEach((name, i) => {
      const p = join(work, `${i}.tf`);
      writeFileSync(p, inputs.get(name) as string);
    });
    // One file at a time would be 50 ms each; a directory run formats all valid files and
    // reports the invalid ones, which stay as they were.
    try {
      execFileSync(terraform, ['fmt', '-list=false', work], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch {
      // Exit 2 when some file has syntax errors; those are found below.
    }
    const out = new Map<string, string | null>();
    names.forEach((name, i) => {
      const p = join(work, `${i}.tf`);
      const formatted = readFileSync(p, 'utf8');
      out.set(name, formatted);
    });
    // A file terraform could not parse is left untouched: check those one by one.
    for (const [i, name] of names.entries()) {
      if (out.get(name) !== inputs.get(name)) continue;
      try {
        execFileSync(terraform, ['fmt', '-check', '-list=false', join(work, `${i}.tf`)], { stdio: 'ignore' });
      } catch (e) {
        if ((e as { status?: number }).status !== 3) out.set(name, null);
      }
    }
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main(): void {
  const args = process.argv.slice(2);
  const corpus = args[0];
  if (corpus === undefined) {
    process.stderr.write('usage: fmt-parity.ts CORPUS_DIR [--terraform PATH] [--show N] [--only MODE]\n');
    process.exit(2);
  }
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : args[i + 1];
  };
  const terraform = opt('--terraform') ?? 'terraform';
  const show = Number(opt('--show') ?? '3');
  const only = opt('--only') as Mode | undefined;
  const files = walk(corpus);
  const originals = new Map(files.map((f) => [relative(corpus, f), readFileSync(f, 'utf8')]));
  const formatted = terraformFmtAll(terraform, originals);
  const valid = new Map<string, string>();
  let terraformRefused = 0;
  let infraRefused = 0;
  for (const [name, text] of formatted) {
    if (text === null) terraformRefused++;
    else if (hasErrors(parseFile(name, text).diagnostics)) infraRefused++;
    else valid.set(name, text);
  }
  process.stdout.write(`${files.length} files: ${terraformRefused} refused by terraform, ${infraRefused} not parsed by infra, ${valid.size} compared\n`);
  let shown = 0;
  let allAgree = true;
  for (const mode of MODES) {
    if (only !== undefined && mode !== only) continue;
    const inputs = new Map([...valid].map(([n, t]) => [n, mode === 'original' ? (originals.get(n) as string) : mutate[mode](t)]));
    const expected =
      mode === 'formatted' ? new Map<string, string | null>(inputs) : mode === 'original' ? new Map<string, string | null>(valid) : terraformFmtAll(terraform, inputs);
    let compared = 0;
    let agree = 0;
    let changedByTerraform = 0;
    const disagree: string[] = [];
    for (const [name, input] of inputs) {
      const want = expected.get(name);
      if (want === null || want === undefined) continue;
      const got = formatSource(name, input);
      if (hasErrors(got.diagnostics)) continue;
      compared++;
      if (want !== input) changedByTerraform++;
      if (got.output === want) agree++;
      else {
        disagree.push(name);
        if (shown < show) {
          shown++;
          process.stdout.write(createTwoFilesPatch(`${name} (terraform, ${mode})`, `${name} (infra)`, want, got.output, '', '', { context: 1 }));
        }
      }
    }
    if (disagree.length > 0) allAgree = false;
    const pct = compared === 0 ? 100 : (100 * agree) / compared;
    process.stdout.write(`${mode.padEnd(10)} ${agree}/${compared} agree (${pct.toFixed(1)}%; terraform changed ${changedByTerraform})${disagree.length ? `; differ: ${disagree.slice(0, 8).join(', ')}${disagree.length > 8 ? ', ...' : ''}` : ''}\n`);
  }
  process.exitCode = allAgree ? 0 : 1;
}

// FMT_PARITY_SHOW_JITTER=FILE prints the jittered FILE instead, to see what the mode feeds.
if (process.env.FMT_PARITY_SHOW_JITTER) process.stdout.write(jitter(readFileSync(process.env.FMT_PARITY_SHOW_JITTER, 'utf8')));
else main();
