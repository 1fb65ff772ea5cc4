/**
 * The command-line entry: parses arguments, runs one command, maps the outcome to an exit
 * code. A user's mistake arrives here as a DiagnosticsError and is printed; anything else
 * thrown is a bug and is reported as one (with the stack, so it can be filed).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { normalizeArgv, parseParallelism, savedPlanConflicts } from './cli-args.js';
import { DiagnosticsError, error } from './diagnostics.js';
import type { Io } from './commands/io.js';
import { printDiagnostics } from './commands/io.js';

export { tuneV8ForCommand } from './v8-tuning.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function parseBool(flag: string): (v: string) => boolean {
  return (v) => {
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw new InvalidArgumentError(`${flag} takes true or false.`);
  };
}

function colorEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv, noColor: boolean): boolean {
  if (noColor) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return !!stream.isTTY;
}

/**
 * A stream whose reader went away (`infra plan | head`) is written no more, instead of ending in
 * an unhandled EPIPE with a stack trace; the command itself runs on, so an apply still finishes
 * its step and writes its state.
 */
const closedStreams = new WeakSet<NodeJS.WriteStream>();
const watchedStreams = new WeakSet<NodeJS.WriteStream>();
function writer(stream: NodeJS.WriteStream): (text: string) => void {
  // Not listenerCount('error'): a listener someone else added (a loader, events.once) may be
  // gone by the time the EPIPE arrives.
  if (!watchedStreams.has(stream)) {
    watchedStreams.add(stream);
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      closedStreams.add(stream);
    });
  }
  return (text) => {
    if (!closedStreams.has(stream)) stream.write(text);
  };
}

function makeIo(noColor: boolean): Io {
  const env = process.env;
  const interactive = !!process.stdin.isTTY && !!process.stdout.isTTY;
  return {
    cwd: process.cwd(),
    env,
    out: writer(process.stdout),
    err: writer(process.stderr),
    color: colorEnabled(process.stdout, env, noColor),
    errColor: colorEnabled(process.stderr, env, noColor),
    sources: new Map(),
    ...(interactive
      ? {
          ask: async (q: string) => {
            const rl = createInterface({ input: process.stdin, output: process.stdout });
            try {
              return await rl.question(q);
            } finally {
              rl.close();
            }
          },
          askSecret: async (q: string) => {
            process.stdout.write(q);
            // The terminal echoes what is typed to the readline's output: send that nowhere.
            const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
            const rl = createInterface({ input: process.stdin, output: silent, terminal: true });
            try {
              return await rl.question('');
            } finally {
              rl.close();
              process.stdout.write('\n');
            }
          },
        }
      : {}),
  };
}

const configOptions = (c: Command): Command => {
  // The later of --var and --var-file wins, as in Terraform: keep their command-line order.
  const record = (kind: 'var' | 'varFile') => (): void => {
    c.setOptionValue('variableOrder', [...((c.getOptionValue('variableOrder') as string[] | undefined) ?? []), kind]);
  };
  return c
    .option('-C, --chdir <dir>', 'configuration directory, or a single .infra file', '.')
    .option('--var <name=value>', 'set a variable (repeatable)', collect)
    .option('--var-file <file>', 'read variables from a file (.infra attributes or .json; repeatable); infra.vars and *.auto.vars are read without it', collect)
    .on('option:var', record('var'))
    .on('option:var-file', record('varFile'));
};

/** `-C DIR` alone, for commands that read the state but evaluate no variable (they refuse --var). */
const locationOptions = (c: Command): Command => c.option('-C, --chdir <dir>', 'configuration directory, or a single .infra file', '.');

const stateOptions = (c: Command): Command =>
  c
    .option('--state <path>', 'state file (default: infra.state.json in the configuration directory)')
    .option('--lock-timeout <duration>', 'wait this long for the state lock (e.g. 30s) instead of failing at once', '0s');

/** Fails the command before it starts when flags cannot go together or a refused `-lock=false` is set. */
function refuseUnsupported(command: Command): void {
  const o = command.opts();
  const name = command.name();
  if (o.refreshOnly) {
    for (const [set, flag] of [[o.replace !== undefined, '-replace'], [o.destroy, '-destroy'], [o.out !== undefined, '-out'], [o.refresh === false, '-refresh=false']] as const) {
      if (set) throw new DiagnosticsError([error(`-refresh-only cannot be combined with ${flag}`, 'A refresh-only run only reads the real objects and accepts what changed outside infra into the state; it plans nothing else (and its plan is not saved).')]);
    }
  }
  if (o.parallelism !== undefined) {
    const p = parseParallelism(o.parallelism as string);
    if ('diagnostic' in p) throw new DiagnosticsError([p.diagnostic]);
  }
  if (name === 'apply' && command.args[0] !== undefined) {
    const refused = savedPlanConflicts(command.args[0], o);
    if (refused.length) throw new DiagnosticsError(refused);
  }
  if ((name === 'apply' || name === 'destroy') && o.lock === false) {
    throw new DiagnosticsError([
      error('-lock=false is for read-only runs', `infra ${name} writes the state, so it always takes the lock (Terraform would let two runs write at once). Wait with -lock-timeout=DURATION, or remove a stale lock with infra force-unlock ID.`),
    ]);
  }
}

let exitCode = 0;
let currentIo: Io | null = null;
let ioFactory: (noColor: boolean) => Io = makeIo;

/** Wraps a command so its result becomes the exit code and diagnostics are printed. */
function run<A extends unknown[]>(fn: (io: Io, ...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const cmd = args[args.length - 1] as Command;
    const opts = cmd.optsWithGlobals();
    const made = ioFactory(opts.color === false);
    // -input=false: never ask, as if there were no terminal.
    const io: Io = opts.input === false ? { ...made, ask: undefined, askSecret: undefined } : made;
    currentIo = io;
    exitCode = await fn(io, ...args);
  };
}

export function buildProgram(): Command {
  const program = new Command('infra')
    .description('Declarative plan/apply for immutable infrastructure, deployed blue-green:\ncreate green -> verify -> switch traffic -> destroy blue, reviewed as a diff first.')
    .option('--no-color', 'no colours in output (also NO_COLOR, or when output is not a terminal)')
    .addHelpText(
      'after',
      [
        '',
        'Global options (before the command):',
        '  -chdir=DIR    run as if started in DIR (-C DIR, --chdir DIR)',
        '  -version      same as infra version',
        '',
        "Every flag also takes Terraform's single-dash spelling: -var n=3, -out=FILE, -auto-approve.",
        '',
        'Environment variables:',
        '  INFRA_VAR_name       a value for variable "name" (infra.vars, *.auto.vars, -var-file and -var win over it)',
        '  INFRA_WORKSPACE      the workspace to use (overrides infra workspace select)',
        "  INFRA_STATE_KEY      the state's encryption key when the encryption block sets none",
        '  INFRA_STATE_OLD_KEY  the previous key, still read while rotating to a new one',
        '  INFRA_DRAIN_TIMEOUT  how long blue is kept after a switch for the old path to drain (default 30s)',
        '  PG_CONN_STR          the connection string of backend "pg" when its block sets none',
        '  LINODE_TOKEN         the Linode API token when provider "linode" sets none',
        '  LINODE_URL           another base address for the Linode API (an emulator, the lab)',
        '  NO_COLOR             no colours (FORCE_COLOR: colours even when output is not a terminal)',
        '',
        'Exit codes:',
        '  0    success (plan -detailed-exitcode: no changes)',
        '  1    error',
        '  2    plan -detailed-exitcode: there are changes',
        '  3    fmt -check: a file would change',
        '  130  apply or destroy interrupted twice (Ctrl-C): state saved, providers stopped',
      ].join('\n'),
    )
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false })
    .hook('preAction', (_program, action) => refuseUnsupported(action))
    .exitOverride();

  configOptions(program.command('validate').description('Check the configuration: syntax, references, types, blue-green rules. Touches no provider and no state.'))
    .option('--json', 'print diagnostics as JSON')
    .action(run(async (io, opts) => (await import('./commands/misc.js')).validateCommand(opts, io)));

  program
    .command('fmt')
    .description('Rewrite .infra files in the layout terraform fmt gives HCL (two-space indent, aligned =, spacing); `-` reads standard input.')
    .argument('[paths...]', 'files or directories (default: the current directory); - for standard input')
    .option('--check', 'write nothing; exit 3 when a file would change')
    .option('--diff', 'print the changes as a unified diff')
    .option('--recursive', 'also format the files in subdirectories')
    .option('--write <bool>', 'rewrite the files (--write=false leaves them alone)', parseBool('--write'), true)
    .option('--list <bool>', 'print the names of the files that change (--list=false does not)', parseBool('--list'), true)
    .action(run(async (io, paths: string[], opts) => (await import('./commands/fmt.js')).fmtCommand(paths, opts, io)));

  program
    .command('lsp')
    .description('Run the language server over stdio, for editors: diagnostics as you type, go to definition, hover, completion.')
    .action(async () => {
      (await import('./lsp/server.js')).startServer();
      // The server exits the process when the editor sends `exit`.
      await new Promise(() => undefined);
    });

  stateOptions(configOptions(program.command('plan').description('Show what apply would do: a diff of every resource and the ordered deploy sequence.')))
    .option('--out <file>', 'save the plan; `infra apply FILE` then carries out exactly this plan')
    .option('--refresh <bool>', 'read the real objects first (--refresh=false skips it)', parseBool('--refresh'), true)
    .option('--target <addr>', 'limit to an instance (type.name["key"]), a resource (type.name) or a bare name, with what it needs (repeatable)', collect)
    .option('--replace <addr>', 'replace (blue-green: redeploy) this instance though its configuration did not change (repeatable)', collect)
    .option('--refresh-only', 'only accept what changed outside infra into the state: the plan shows the drift and nothing else')
    .option('--destroy', 'plan to destroy everything (or the targets and what depends on them)')
    .option('--parallelism <n>', 'refresh reads in flight at once (default 10)')
    .option('--detailed-exitcode', 'exit 0 when there are no changes, 2 when there are, 1 on error')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--json', 'short for --format json')
    .option('--lock <bool>', 'take the state lock (-lock=false: plan reads the state without locking it)', parseBool('--lock'), true)
    .option('--input <bool>', 'ask for input on a terminal (-input=false never asks)', parseBool('--input'), true)
    .action(run(async (io, opts) => (await import('./commands/plan.js')).planCommand(opts, io)));

  stateOptions(configOptions(program.command('apply').description('Plan, ask, and carry out the plan; or carry out a saved plan exactly.')))
    .argument('[planfile]', 'a plan saved by `infra plan --out FILE`')
    .option('--auto-approve', 'do not ask for confirmation')
    .option('--parallelism <n>', 'provider calls in flight at once (default 10)')
    .option('--refresh <bool>', 'read the real objects first (--refresh=false skips it)', parseBool('--refresh'), true)
    .option('--target <addr>', 'limit to these and what they need (repeatable)', collect)
    .option('--refresh-only', 'only accept what changed outside infra into the state: the plan shows the drift and nothing else')
    .option('--replace <addr>', 'replace (blue-green: redeploy) this instance though its configuration did not change (repeatable)', collect)
    .option('--destroy', 'destroy everything, or the targets and what depends on them (as infra destroy)')
    .option('--input <bool>', 'ask for input on a terminal (-input=false never asks)', parseBool('--input'), true)
    .addOption(new Option('--lock <bool>', 'refused: apply always locks').argParser(parseBool('--lock')).hideHelp())
    .action(run(async (io, planfile: string | undefined, opts) => (await import('./commands/apply.js')).applyCommand(planfile, opts, io)));
  program.commands.find((c) => c.name() === 'apply')!.option('--json', 'progress as JSON lines, like terraform apply -json (needs --auto-approve or a saved plan)');

  stateOptions(configOptions(program.command('rollback').description('Switch traffic back to the kept blue copies of keep_blue deploys at once, verified by the post-switch checks.')))
    .option('--auto-approve', 'do not ask for confirmation')
    .option('--target <addr>', 'roll back only these instances (type.name["key"]), resources (type.name) or names (repeatable)', collect)
    .option('--refresh <bool>', 'read the real objects first', parseBool('--refresh'), true)
    .action(run(async (io, opts) => (await import('./commands/rollback.js')).rollbackCommand(opts, io)));
  program.commands.find((c) => c.name() === 'rollback')!.option('--json', 'plan and progress as JSON lines, as apply --json (needs --auto-approve)');

  stateOptions(configOptions(program.command('bake').description('Go on baking kept blue copies (keep_blue) after an apply: their post-switch checks every bake_interval until the window ends; a failing round switches back to blue.')))
    .option('--target <addr>', 'bake only these instances (type.name["key"]), resources (type.name) or names (repeatable)', collect)
    .option('--for <duration>', 'bake this long at most (e.g. 5m), never past the window')
    .option('--refresh <bool>', 'read the real objects first', parseBool('--refresh'), true)
    .action(run(async (io, opts) => (await import('./commands/bake.js')).bakeCommand(opts, io)));
  program.commands.find((c) => c.name() === 'bake')!.option('--json', 'progress as JSON lines, as apply --json');

  stateOptions(configOptions(program.command('destroy').description('Destroy everything, or the targets and what depends on them, in reverse dependency order.')))
    .option('--auto-approve', 'do not ask for confirmation')
    .option('--parallelism <n>', 'provider calls in flight at once (default 10)')
    .option('--refresh <bool>', 'read the real objects first', parseBool('--refresh'), true)
    .option('--target <addr>', 'destroy only these and what depends on them (repeatable)', collect)
    .option('--input <bool>', 'ask for input on a terminal (-input=false never asks)', parseBool('--input'), true)
    .addOption(new Option('--lock <bool>', 'refused: destroy always locks').argParser(parseBool('--lock')).hideHelp())
    .action(run(async (io, opts) => (await import('./commands/apply.js')).applyCommand(undefined, { ...opts, destroy: true }, io)));
  program.commands.find((c) => c.name() === 'destroy')!.option('--json', 'progress as JSON lines, like terraform destroy -json (needs --auto-approve)');

  stateOptions(locationOptions(program.command('show').description('Show a saved plan, or the state.')))
    .argument('[planfile]', 'a plan saved by `infra plan --out FILE`')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--json', 'short for --format json')
    .action(run(async (io, planfile: string | undefined, opts) => (await import('./commands/misc.js')).showCommand(planfile, opts, io)));

  const state = program.command('state').description('Inspect and edit the state.');
  stateOptions(locationOptions(state.command('list').description('List every instance and data source in the state.'))).action(
    run(async (io, opts) => (await import('./commands/misc.js')).stateListCommand(opts, io)),
  );
  stateOptions(locationOptions(state.command('show').description('Show one instance (every copy of a blue-green one) or data source.')))
    .argument('<address>', 'instance address, e.g. local_host.ns["ns1"]')
    .action(run(async (io, address: string, opts) => (await import('./commands/misc.js')).stateShowCommand(address, opts, io)));
  stateOptions(locationOptions(state.command('mv').description('Rename instances in the state (a whole resource: every key and copy) without touching them.')))
    .argument('<from>', 'resource or instance address, e.g. linode_instance.lb')
    .argument('<to>', 'the new address, e.g. linode_instance.edge')
    .action(run(async (io, from: string, to: string, opts) => (await import('./commands/misc.js')).stateMvCommand(from, to, opts, io)));
  stateOptions(locationOptions(state.command('rm').description('Forget instances (every copy) without destroying them.')))
    .argument('<address>', 'resource or instance address')
    .action(run(async (io, address: string, opts) => (await import('./commands/misc.js')).stateRmCommand(address, opts, io)));
  stateOptions(configOptions(state.command('orphans').description("List objects this state's providers created that the state does not hold (a crash between create and the state write).")))
    .option('--delete', 'delete the orphans found')
    .option('--import', 'take the orphans into the state')
    .action(run(async (io, opts) => (await import('./commands/orphans.js')).orphansCommand(opts, io)));

  // infra import (dayops): adopt an existing object into the state.
  stateOptions(configOptions(program.command('import').description('Adopt an existing object (a Linode instance by its ID) into the state at an address of the configuration; changes nothing on it.')))
    .argument('<address>', 'resource or instance address in the configuration, e.g. linode_instance.lb["ns1"]')
    .argument('<id>', "the object's ID in its provider, e.g. a Linode ID")
    .action(run(async (io, address: string, id: string, opts) => (await import('./commands/import.js')).importCommand(address, id, opts, io)));

  stateOptions(locationOptions(state.command('pull').description('Print the current state (decrypted) as JSON.'))).action(
    run(async (io, opts) => (await import('./commands/backend.js')).statePullCommand(opts, io)),
  );
  stateOptions(locationOptions(state.command('push').description('Make a state file the current state (refuses another lineage or an older serial unless --force).')))
    .argument('<file>', 'a state file, e.g. one `state pull` wrote or an emergency file ("-" for stdin)')
    .option('--force', 'push even when the file is of another lineage or older')
    .action(run(async (io, file: string, opts) => (await import('./commands/backend.js')).statePushCommand(file, opts, io)));

  const workspace = program.command('workspace').description('Workspaces: separate states of one configuration (default: "default").');
  stateOptions(locationOptions(workspace.command('list').description('List workspaces; the selected one is starred.'))).action(
    run(async (io, opts) => (await import('./commands/backend.js')).workspaceListCommand(opts, io)),
  );
  stateOptions(locationOptions(workspace.command('new').description('Create an empty workspace and select it.')))
    .argument('<name>', 'workspace name')
    .action(run(async (io, name: string, opts) => (await import('./commands/backend.js')).workspaceNewCommand(name, opts, io)));
  stateOptions(locationOptions(workspace.command('select').description('Select a workspace for later commands (INFRA_WORKSPACE overrides it).')))
    .argument('<name>', 'workspace name')
    .action(run(async (io, name: string, opts) => (await import('./commands/backend.js')).workspaceSelectCommand(name, opts, io)));
  stateOptions(locationOptions(workspace.command('delete').description('Delete a workspace and its state (refused while it holds resources, unless --force).')))
    .argument('<name>', 'workspace name')
    .option('--force', 'delete even when its state holds resources (they are forgotten, not destroyed)')
    .action(run(async (io, name: string, opts) => (await import('./commands/backend.js')).workspaceDeleteCommand(name, opts, io)));

  stateOptions(locationOptions(program.command('init').description('Check the state backend; with --migrate-state, move the local state into it (or back with --to-local).')))
    .option('--migrate-state', 'copy the local state file into the configured backend, keeping lineage and serial')
    .option('--to-local', 'with --migrate-state: copy the backend\'s state into the local file instead')
    .option('--force', 'overwrite a different state already in the target')
    .action(run(async (io, opts) => (await import('./commands/backend.js')).initCommand(opts, io)));

  stateOptions(locationOptions(program.command('output').description('Print outputs recorded by the last apply.')))
    .argument('[name]', 'one output')
    .option('--json', 'print as JSON')
    .option('--raw', 'print a string output without quotes')
    .action(run(async (io, name: string | undefined, opts) => (await import('./commands/misc.js')).outputCommand(name, opts, io)));

  stateOptions(locationOptions(program.command('force-unlock').description('Remove a stale state lock left by a process that died.')))
    .argument('<id>', 'the lock ID printed by the command that found the lock')
    .action(run(async (io, id: string, opts) => (await import('./commands/misc.js')).forceUnlockCommand(id, opts, io)));

  configOptions(program.command('graph').description('The resource dependency graph, or a saved plan\'s step graph, as DOT, Mermaid or SVG.'))
    .addOption(new Option('--format <format>', 'output format').choices(['dot', 'mermaid', 'svg']).default('dot'))
    .option('--plan <planfile>', "draw this saved plan's steps instead")
    .action(run(async (io, opts) => (await import('./commands/misc.js')).graphCommand(opts, io)));

  program
    .command('version')
    .description('Print the version of infra, the platform and the Node.js it runs on.')
    .option('--json', 'print as JSON')
    .action(run(async (io, opts) => (await import('./commands/version.js')).versionCommand(opts, io)));

  return program;
}

/**
 * Runs the CLI with `argv` (user arguments only) and returns the exit code. Tests pass `io` to
 * run commands in-process and capture their output.
 */
export async function main(argv: readonly string[], io?: (noColor: boolean) => Io): Promise<number> {
  exitCode = 0;
  currentIo = null;
  const base = io ?? makeIo;
  ioFactory = base;
  const program = buildProgram();
  for (const c of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)]) {
    c.exitOverride();
    c.configureOutput({ writeOut: (t) => ioFactory(true).out(t), writeErr: (t) => ioFactory(true).err(t) });
  }
  const args = normalizeArgv(program, argv);
  if (!args.ok) {
    base(true).err(args.message + '\n');
    return 1;
  }
  if (args.chdir !== undefined) {
    // Like terraform -chdir: every relative path (configuration, state, -var-file, -out) is read from DIR.
    const from = base(true).cwd;
    const dir = resolve(from, args.chdir);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) {
      base(true).err(`Error: -chdir: no directory ${JSON.stringify(args.chdir)} in ${from}\n`);
      return 1;
    }
    ioFactory = (noColor) => ({ ...base(noColor), cwd: dir });
  }
  try {
    await program.parseAsync([...args.argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 1;
    }
    if (e instanceof DiagnosticsError) {
      printDiagnostics(currentIo ?? ioFactory(false), e.diagnostics);
      return e.exitCode;
    }
    const err = e as Error;
    process.stderr.write(`infra: internal error (a bug - please report it with the command you ran):\n${err?.stack ?? String(e)}\n`);
    return 1;
  }
}
