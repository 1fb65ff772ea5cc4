/**
 * Terraform's flag spellings, made safe for commander. Terraform writes every flag with one dash
 * (`-var n=3`, `-out=F`, `-auto-approve`); commander reads `-var` as the short flags `-v -a -r`,
 * so `infra plan -var n=3` used to print the version and exit 0. Before commander sees the
 * arguments, `normalizeArgv` rewrites the single-dash spelling of every long flag a command
 * knows to its double-dash form, takes the global `-chdir=DIR` out, turns the top-level version
 * flags into the `version` command, and rejects every flag the command does not know - so a
 * mistyped flag is an error with a suggestion, never a different action.
 */
import type { Command, Option } from 'commander';
import { type Diagnostic, error, nearest } from './diagnostics.js';

/** The arguments for commander, and the directory `-chdir` asked to run from; or a usage error. */
export type NormalizedArgv =
  | { readonly ok: true; readonly argv: readonly string[]; readonly chdir?: string }
  | { readonly ok: false; readonly message: string };

/** Spellings, at the top level only, that mean `infra version` (as `terraform -version` does). */
const VERSION_FLAGS = new Set(['-v', '-version', '--version']);
const HELP_FLAGS = new Set(['-h', '-help', '--help']);

function chain(cmd: Command): Command[] {
  const out: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) out.push(c);
  return out;
}

function fullName(cmd: Command): string {
  return chain(cmd)
    .reverse()
    .map((c) => c.name())
    .join(' ');
}

// Options of the command and of its parents: commander reads a parent's options after the
// subcommand's name too (`infra plan --no-color`).
function findOption(cmd: Command, test: (o: Option) => boolean): Option | undefined {
  for (const c of chain(cmd)) {
    const o = c.options.find(test);
    if (o) return o;
  }
  return undefined;
}

function root(cmd: Command): Command {
  const all = chain(cmd);
  return all[all.length - 1];
}

/**
 * The commands (`plan`, `state orphans`) that take the long option `long`, in help order; a
 * group whose every command takes it is named once (`state`).
 */
function commandsTaking(program: Command, long: string): string[] {
  const takes = (c: Command): boolean => c.options.some((o) => o.long === long && !o.hidden);
  const visit = (c: Command, prefix: string): string[] =>
    c.commands.flatMap((sub) => {
      const name = prefix + sub.name();
      if (sub.commands.length === 0) return takes(sub) ? [name] : [];
      const inside = visit(sub, name + ' ');
      return inside.length === sub.commands.length ? [name] : inside;
    });
  return visit(program, '');
}

function takesValue(o: Option): boolean {
  return o.required || o.optional;
}

function subcommand(cmd: Command, name: string): Command | undefined {
  return cmd.commands.find((c) => c.name() === name || c.aliases().includes(name));
}

function unknownOption(cmd: Command, flag: string): NormalizedArgv {
  const dashes = flag.startsWith('--') ? '--' : '-';
  const bare = flag.slice(dashes.length);
  const candidates = ['help'];
  for (const c of chain(cmd)) for (const o of c.options) if (!o.hidden && o.long) candidates.push(o.long.slice(2));
  let hint = '';
  const takers = commandsTaking(root(cmd), `--${bare}`);
  if (cmd.parent && (bare === 'version' || flag === '-v')) hint = ' (infra version prints the version)';
  else if (cmd.parent && takers.length > 0) {
    const list = takers.length === 1 ? takers[0] : `${takers.slice(0, -1).join(', ')} and ${takers[takers.length - 1]}`;
    return { ok: false, message: `Error: ${fullName(cmd)} does not use ${flag} (${list} take${takers.length === 1 ? 's' : ''} it)` };
  } else {
    const near = bare.length > 1 ? nearest(bare, candidates) : undefined;
    if (near !== undefined) hint = ` (Did you mean ${dashes}${near}?)`;
  }
  return { ok: false, message: `Error: unknown option '${flag}' for ${fullName(cmd)}${hint}` };
}

/**
 * Rewrites `argv` (user arguments only) for `program`: `-name` and `-name=value` become
 * `--name` and `--name=value` when `name` is a long option of the command (or of a parent);
 * a flag's value is passed through untouched (`-var 'n=-1'`), as is everything after `--` and
 * after an unknown command name (commander reports that one). Before the subcommand, `-chdir DIR`
 * (any spelling, or `-C DIR`) is returned as `chdir`, and `-v`, `-version`, `--version` become
 * the `version` command. A boolean flag written `-flag=true` / `-flag=false` (Go's flag syntax,
 * which Terraform users write) is the flag or nothing. Help flags are left to commander.
 */
export function normalizeArgv(program: Command, argv: readonly string[]): NormalizedArgv {
  const out: string[] = [];
  let cmd = program;
  let chdir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (cmd.commands.length > 0) {
        const sub = subcommand(cmd, arg);
        if (!sub) {
          out.push(...argv.slice(i));
          break;
        }
        cmd = sub;
      }
      out.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    if (HELP_FLAGS.has(flag)) {
      out.push('--help');
      continue;
    }
    if (cmd === program) {
      if (VERSION_FLAGS.has(arg)) {
        const version = subcommand(program, 'version');
        if (version) {
          cmd = version;
          out.push('version');
          continue;
        }
      }
      if (flag === '-chdir' || flag === '--chdir' || flag === '-C') {
        const value = inline ?? argv[++i];
        if (value === undefined || value === '') return { ok: false, message: `Error: ${flag} needs a directory: ${flag}=DIR` };
        chdir = value;
        continue;
      }
    }
    const isShort = /^-[^-]$/.test(flag);
    const long = isShort ? undefined : `--${flag.replace(/^--?/, '')}`;
    const option = isShort ? findOption(cmd, (o) => o.short === flag) : findOption(cmd, (o) => o.long === long);
    if (!option) return unknownOption(cmd, flag);
    const spelled = option.long ?? flag;
    if (!takesValue(option)) {
      if (inline === undefined || inline === 'true') out.push(spelled);
      else if (inline !== 'false') return { ok: false, message: `Error: option '${flag}' takes no value (or =true / =false), not "${inline}"` };
      continue;
    }
    if (inline !== undefined) out.push(`${spelled}=${inline}`);
    else if (i + 1 < argv.length) out.push(spelled, argv[++i]);
    // Commander reports the missing value.
    else out.push(spelled);
  }
  return chdir === undefined ? { ok: true, argv: out } : { ok: true, argv: out, chdir };
}

/**
 * `-parallelism=N` as a number: a whole number of at least 1, or a diagnostic naming the flag.
 * Absent means 10, Terraform's default.
 */
export function parseParallelism(text: string | undefined): { readonly value: number } | { readonly diagnostic: Diagnostic } {
  if (text === undefined) return { value: 10 };
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    return { diagnostic: error(`Invalid value for --parallelism: "${text}"`, 'Use a whole number of at least 1 (how many provider calls run at once).') };
  }
  return { value: n };
}

/** What `infra plan` / `infra apply` options hold, as far as the checks below read them. */
export interface PlanningOptionValues {
  readonly replace?: readonly string[];
  readonly target?: readonly string[];
  readonly destroy?: boolean;
  readonly refreshOnly?: boolean;
  readonly refresh?: boolean;
}

/**
 * The planning options a saved plan cannot take: it is carried out exactly as it was shown, so
 * `-replace`, `-target`, `-destroy`, `-refresh-only` and `-refresh=false` with `infra apply
 * PLANFILE` are refused rather than ignored. (Terraform 1.11 ignores them silently.) `-var` and
 * `-var-file` stay allowed: they give the saved plan's sensitive values again, and a non-sensitive
 * value that differs makes the plan stale.
 */
export function savedPlanConflicts(planFile: string, o: PlanningOptionValues): Diagnostic[] {
  const given: [boolean, string, string][] = [
    [o.replace !== undefined, '-replace', '-replace=ADDRESS'],
    [o.target !== undefined, '-target', '-target=ADDRESS'],
    [!!o.destroy, '-destroy', '-destroy'],
    [!!o.refreshOnly, '-refresh-only', '-refresh-only'],
    [o.refresh === false, '-refresh=false', '-refresh=false'],
  ];
  return given
    .filter(([set]) => set)
    .map(([, flag, usage]) =>
      error(
        `${flag} cannot be used when applying a saved plan`,
        `${planFile} was planned with its own options and is carried out exactly as it was shown. Plan again with ${flag} and apply that plan: infra plan ${usage} -out=${planFile}`,
      ),
    );
}
