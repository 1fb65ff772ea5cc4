/**
 * The pg backend against a real PostgreSQL (test/support/postgres.ts, one server for the file):
 * applies through the CLI with the recording provider, workspaces, stale serials, the advisory
 * lock between processes (a second one fails naming the holder, or waits; kill -9 of the holder
 * frees it at once), force-unlock, pull/push, migration there and back, encryption at rest.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { RecordingProvider } from '../support/recording-provider.js';
import { runCli, tempConfig } from '../support/cli.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { openStateStore } from '../../src/state/open.js';
import { resolveStateSettings } from '../../src/state/backend-config.js';
import { loadConfig } from '../../src/config/load.js';
import type { StateFile } from '../../src/state/types.js';
import { printDiagnostics } from './helpers.js';

const who = `${userInfo().username}@${hostname()}`;
const child = join(process.cwd(), 'test', 'support', 'cli-child.ts');

function configWith(schema: string, resources = 'resource "test_instance" "web" {\n  name = var.name\n}\n'): string {
  return `infra {
  backend "pg" {
    conn_str    = env("PG_CONN_STR")
    schema_name = "${schema}"
  }
}

variable "name" {
  type    = string
  default = "web"
}

${resources}`;
}

describe('state/pg backend (real PostgreSQL)', function () {
  this.timeout(60_000);
  let server: PostgresServer;
  let db: pg.Client;
  let provider: RecordingProvider;
  let unregister: () => void;
  const cleanups: (() => void)[] = [];
  const children: ChildProcess[] = [];

  before(async () => {
    server = startPostgres();
    db = new pg.Client({ connectionString: server.connStr });
    db.on('error', () => undefined); // the test stops the server on purpose
    await db.connect();
  });
  after(async () => {
    await db?.end();
    server?.stop();
  });
  beforeEach(() => {
    provider = new RecordingProvider();
    unregister = provider.register();
  });
  afterEach(() => {
    unregister();
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const c of cleanups.splice(0)) c();
  });

  function project(schema: string, files: Record<string, string> = {}): { dir: string; env: NodeJS.ProcessEnv } {
    const cfg = tempConfig({ 'main.infra': configWith(schema), ...files });
    cleanups.push(cfg.cleanup);
    return { dir: cfg.dir, env: { PG_CONN_STR: server.connStr } };
  }

  async function row(schema: string, workspace = 'default'): Promise<{ serial: string; lineage: string; data: string } | undefined> {
    return (await db.query(`SELECT serial, lineage, data FROM "${schema}".states WHERE workspace = $1`, [workspace])).rows[0];
  }

  /** `infra ARGS` in a child process (a real second process, with its own database session). */
  function spawnInfra(dir: string, args: string[], env: NodeJS.ProcessEnv): { proc: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
    const proc = spawn(process.execPath, ['--import=tsx/esm', child, ...args, '-C', dir], {
      cwd: process.cwd(),
      env: { ...process.env, NO_COLOR: '1', INFRA_TEST_WORLD: join(dir, 'world.json'), ...env },
    });
    children.push(proc);
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d) => (stdout += d));
    proc.stderr!.on('data', (d) => (stderr += d));
    const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => proc.on('exit', (code) => resolve({ code, stdout, stderr })));
    return { proc, done };
  }

  async function waitForLockRow(schema: string): Promise<{ id: string; pid: number; operation: string; created: string; infra_version: string }> {
    for (let i = 0; i < 400; i++) {
      const r = await db.query(`SELECT info FROM "${schema}".locks WHERE workspace = 'default'`).catch(() => ({ rows: [] as { info: never }[] }));
      const held = await db.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted");
      if (r.rows.length > 0 && held.rows[0].n > 0) return r.rows[0].info;
      await sleep(25);
    }
    throw new Error('the child never took the lock');
  }

  it('a read-only role (as in pull-request plans) plans with -lock=false; with the lock, or to apply, it gets a clear error', async () => {
    const { dir, env } = project('infra_ro');
    expect((await runCli(['apply', '--auto-approve', '-C', dir], { cwd: dir, env })).code).to.equal(0);
    await db.query('DROP ROLE IF EXISTS infra_reader');
    await db.query('CREATE ROLE infra_reader LOGIN');
    await db.query('GRANT USAGE ON SCHEMA infra_ro TO infra_reader');
    await db.query('GRANT SELECT ON infra_ro.states, infra_ro.locks TO infra_reader');
    const reader = { PG_CONN_STR: server.connStr.replace('postgresql://infra@', 'postgresql://infra_reader@') };
    const planned = await runCli(['plan', '-lock=false', '--detailed-exitcode', '-C', dir], { cwd: dir, env: reader });
    expect(planned.stderr).to.equal('');
    expect(planned.stdout).to.include('No changes.');
    expect(planned.code).to.equal(0);
    const changed = await runCli(['plan', '-lock=false', '--detailed-exitcode', '-var', 'name=web2', '-C', dir], { cwd: dir, env: reader });
    expect(changed.code, changed.stderr).to.equal(2);
    const locked = await runCli(['plan', '-C', dir], { cwd: dir, env: reader });
    expect(locked.code).to.equal(1);
    expect(locked.stderr).to.match(/^Error: Error acquiring the state lock\n.*permission denied/);
    const applied = await runCli(['apply', '--auto-approve', '-var', 'name=web2', '-C', dir], { cwd: dir, env: reader });
    expect(applied.code).to.equal(1);
    expect(applied.stderr).to.not.match(/\n\s+at /);
    expect(JSON.parse((await row('infra_ro'))!.data).resources[0].attributes.name).to.equal('web');
  });

  it('applies into the configured schema, creating it; the row has the file format, serial and lineage', async () => {
    const { dir, env } = project('infra_apply');
    const r = await runCli(['apply', '--auto-approve', '-C', dir], { cwd: dir, env });
    expect(r.code, r.stderr).to.equal(0);
    expect(existsSync(join(dir, 'infra.state.json'))).to.equal(false);
    const stored = (await row('infra_apply'))!;
    const state = JSON.parse(stored.data) as StateFile;
    expect([state.format_version, state.serial, state.lineage]).to.deep.equal([1, Number(stored.serial), stored.lineage]);
    expect(state.resources.map((x) => x.address)).to.deep.equal(['test_instance.web']);
    const again = await runCli(['plan', '-C', dir], { cwd: dir, env });
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.include('No changes.');
    const list = await runCli(['state', 'list', '-C', dir], { cwd: dir, env });
    expect(list.stdout).to.equal('test_instance.web\n');
  });

  it('validates the backend block: unknown arguments with did-you-mean, wrong types, unknown backends', async () => {
    const bad = tempConfig({
      'main.infra': 'infra {\n  backend "pg" {\n    conn_string = "x"\n    schema_name = ["a"]\n  }\n}\n',
    });
    cleanups.push(bad.cleanup);
    const r = await runCli(['plan', '-C', bad.dir], { cwd: bad.dir, env: { PG_CONN_STR: server.connStr } });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      [
        'main.infra:3:5: Error: Unsupported argument "conn_string"',
        '    3 |     conn_string = "x"',
        '      |     ^^^^^^^^^^^',
        'Did you mean "conn_str"?',
        'main.infra:4:19: Error: Invalid value for "schema_name"',
        '    4 |     schema_name = ["a"]',
        '      |                   ^^^^^',
        'A string is required, got list.',
        '',
      ].join('\n'),
    );
    const unknown = tempConfig({ 'main.infra': 'infra {\n  backend "pq" {\n  }\n}\n' });
    cleanups.push(unknown.cleanup);
    const v = await runCli(['validate', '-C', unknown.dir], { cwd: unknown.dir });
    expect(v.code).to.equal(1);
    expect(v.stderr).to.equal(['main.infra:2:11: Error: Unsupported backend type "pq"', '    2 |   backend "pq" {', '      |           ^^^^', 'Did you mean "pg"?', ''].join('\n'));
  });

  it('keeps workspaces apart: each has its own row, serial and lineage', async () => {
    const { dir, env } = project('infra_ws');
    expect((await runCli(['apply', '--auto-approve', '-C', dir], { cwd: dir, env })).code).to.equal(0);
    const created = await runCli(['workspace', 'new', 'staging', '-C', dir], { cwd: dir, env });
    expect(created.stdout).to.equal('Created and selected workspace "staging". It is empty: nothing is applied in it yet.\n');
    const empty = await runCli(['state', 'list', '-C', dir], { cwd: dir, env });
    expect(empty.stdout).to.equal('');
    const staging = await runCli(['apply', '--auto-approve', '--var', 'name=staging-web', '-C', dir], { cwd: dir, env });
    expect(staging.code, staging.stderr).to.equal(0);
    const list = await runCli(['workspace', 'list', '-C', dir], { cwd: dir, env });
    expect(list.stdout).to.equal('  default\n* staging\n');
    const a = (await row('infra_ws', 'default'))!;
    const b = (await row('infra_ws', 'staging'))!;
    expect(a.lineage).to.not.equal(b.lineage);
    expect((JSON.parse(b.data) as StateFile).resources[0].attributes.name).to.equal('staging-web');
    expect((JSON.parse(a.data) as StateFile).resources[0].attributes.name).to.equal('web');
    const refused = await runCli(['workspace', 'delete', 'staging', '-C', dir], { cwd: dir, env });
    expect(refused.stderr).to.include('Error: Workspace "staging" is selected');
    expect((await runCli(['workspace', 'select', 'default', '-C', dir], { cwd: dir, env })).stdout).to.equal('Switched to workspace "default".\n');
    const notEmpty = await runCli(['workspace', 'delete', 'staging', '-C', dir], { cwd: dir, env });
    expect(notEmpty.code).to.equal(1);
    expect(notEmpty.stderr).to.include('Error: Workspace "staging" is not empty');
    const forced = await runCli(['workspace', 'delete', 'staging', '--force', '-C', dir], { cwd: dir, env });
    expect(forced.stdout).to.equal('Deleted workspace "staging".\n');
    expect(await row('infra_ws', 'staging')).to.equal(undefined);
    const gone = await runCli(['workspace', 'select', 'staging', '-C', dir], { cwd: dir, env });
    expect(gone.stderr).to.include('Error: Workspace "staging" does not exist');
  });

  it('refuses a write over a stale serial (someone wrote since this run read)', async () => {
    const { dir, env } = project('infra_stale');
    expect((await runCli(['apply', '--auto-approve', '-C', dir], { cwd: dir, env })).code).to.equal(0);
    const config = loadConfig(dir, { cwd: dir }).config!;
    const settings = resolveStateSettings(config, dir, {}, dir, env).settings!;
    const opened = await openStateStore(settings, { operation: 'apply' });
    const store = opened.store!;
    const read = store.state.serial;
    // Another writer that ignored the lock (or came after a force-unlock).
    await db.query(`UPDATE "infra_stale".states SET serial = serial + 5 WHERE workspace = 'default'`);
    const diags = await store.update((s) => ({ ...s, outputs: { x: { value: 1, sensitive: false } } }));
    expect(printDiagnostics(diags)).to.equal(
      'Error: The state changed since it was read (stale serial)\n' +
        `pg schema "infra_stale", workspace "default" holds serial ${read + 5}, but this run read serial ${read}: someone wrote it in between ` +
        '(without the lock, or after a force-unlock). Nothing was written. Run plan again on the current state.',
    );
    expect(Number((await row('infra_stale'))!.serial)).to.equal(read + 5);
    await store.release();
  });

  it('a second process fails at once naming the holder, or waits with --lock-timeout; force-unlock ends a live holder', async () => {
    const { dir, env } = project('infra_lock');
    const first = spawnInfra(dir, ['apply', '--auto-approve'], { ...env, INFRA_TEST_LATENCY_MS: '1500' });
    const info = await waitForLockRow('infra_lock');
    const second = await runCli(['plan', '-C', dir], { cwd: dir, env });
    expect(second.code).to.equal(1);
    expect(second.stderr).to.equal(
      [
        'Error: Error acquiring the state lock',
        'Lock Info:',
        `  ID:        ${info.id}`,
        '  Path:      pg schema "infra_lock", workspace "default"',
        '  Operation: apply',
        `  Who:       ${who}`,
        `  PID:       ${first.proc.pid}`,
        `  Version:   ${info.infra_version}`,
        `  Created:   ${info.created}`,
        '',
        'Another infra process is using this state. Wait for it to finish (or use --lock-timeout to wait for it). ' +
          "The lock ends with its database session, so a holder that died has already freed it; to end a live holder's session, run:",
        `  infra force-unlock ${info.id}`,
        '',
      ].join('\n'),
    );
    const waited = await runCli(['plan', '--refresh=false', '--lock-timeout', '30s', '-C', dir], { cwd: dir, env });
    expect(waited.code, waited.stderr).to.equal(0);
    expect(waited.stdout).to.include('No changes.');
    expect((await first.done).code).to.equal(0);

    // A live holder, ended by force-unlock with its lock's ID.
    const holder = spawnInfra(dir, ['apply', '--auto-approve', '--var', 'name=other'], { ...env, INFRA_TEST_LATENCY_MS: '2000' });
    const held = await waitForLockRow('infra_lock');
    const wrong = await runCli(['force-unlock', 'not-the-id', '-C', dir], { cwd: dir, env });
    expect(wrong.stderr.split('\n')[0]).to.equal('Error: Lock ID does not match');
    const unlocked = await runCli(['force-unlock', held.id, '-C', dir], { cwd: dir, env });
    expect(unlocked.code, unlocked.stderr).to.equal(0);
    expect(unlocked.stdout).to.equal(`Lock ${held.id} removed. The state is unlocked.\n`);
    expect(unlocked.stderr).to.include('Warning: Disconnected the lock holder');
    const after = await runCli(['plan', '--refresh=false', '-C', dir], { cwd: dir, env });
    expect(after.code, after.stderr).to.equal(0);
    // The disconnected holder cannot write: what it did goes to the emergency file instead.
    const ended = await holder.done;
    expect(ended.code, ended.stderr).to.equal(1);
    expect(ended.stderr).to.include('Error: The state could not be saved; it was written to an emergency file');
    expect(ended.stderr).to.include(`infra state push ${join(dir, 'infra.state.default.emergency.json')}`);
  });

  it('kill -9 of the lock holder frees the lock at once', async () => {
    const { dir, env } = project('infra_kill');
    const holder = spawnInfra(dir, ['apply', '--auto-approve'], { ...env, INFRA_TEST_LATENCY_MS: '30000' });
    await waitForLockRow('infra_kill');
    holder.proc.kill('SIGKILL');
    await holder.done;
    const started = Date.now();
    const r = await runCli(['plan', '-C', dir], { cwd: dir, env });
    expect(r.code, r.stderr).to.equal(0);
    expect(Date.now() - started).to.be.lessThan(5000);
  });

  it('keeps the state encrypted in the database: unreadable without the key, identical once decrypted; a wrong key is a clear error', async () => {
    const { dir, env } = project('infra_crypt');
    const key = { ...env, INFRA_STATE_KEY: 'correct horse battery staple' };
    expect((await runCli(['apply', '--auto-approve', '-C', dir], { cwd: dir, env: key })).code).to.equal(0);
    const stored = (await row('infra_crypt'))!;
    expect(stored.data).to.not.include('test_instance');
    expect(JSON.parse(stored.data).cipher).to.equal('aes-256-gcm');
    const pulled = await runCli(['state', 'pull', '-C', dir], { cwd: dir, env: key });
    const state = JSON.parse(pulled.stdout) as StateFile;
    expect([state.serial, state.lineage]).to.deep.equal([Number(stored.serial), stored.lineage]);
    expect(state.resources.map((r) => r.address)).to.deep.equal(['test_instance.web']);
    const none = await runCli(['state', 'list', '-C', dir], { cwd: dir, env });
    expect(none.stderr).to.equal(
      'Error: The state is encrypted and no key is set\n' +
        'pg schema "infra_crypt", workspace "default" is encrypted (AES-256-GCM). Set INFRA_STATE_KEY to its key, or configure ' +
        'infra { encryption { key = env("INFRA_STATE_KEY") } }.\n',
    );
    const wrong = await runCli(['plan', '-C', dir], { cwd: dir, env: { ...env, INFRA_STATE_KEY: 'not the passphrase' } });
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr.split('\n')[0]).to.equal('Error: Cannot decrypt the state: wrong key');
    // Rotation: the new key with the old one as old_key reads it, and the next write uses the new key.
    const rotate = { ...env, INFRA_STATE_KEY: 'a brand new passphrase', INFRA_STATE_OLD_KEY: 'correct horse battery staple' };
    writeFileSync(join(dir, 'now.json'), pulled.stdout);
    const pushed = await runCli(['state', 'push', 'now.json', '-C', dir], { cwd: dir, env: rotate });
    expect(pushed.code, pushed.stderr).to.equal(0);
    const fresh = await runCli(['state', 'pull', '-C', dir], { cwd: dir, env: { ...env, INFRA_STATE_KEY: 'a brand new passphrase' } });
    expect((JSON.parse(fresh.stdout) as StateFile).resources).to.deep.equal(state.resources);
  });

  it('the database stopped mid-apply: in-flight steps finish, the state goes to an emergency file, push brings it back, apply converges', async () => {
    const { dir, env } = project('infra_gone', { 'more.infra': 'resource "test_instance" "db" {\n  name = "db"\n}\n' });
    provider.latencyMs = 1500;
    const running = runCli(['apply', '--auto-approve', '--parallelism', '1', '-C', dir], { cwd: dir, env });
    await sleep(700);
    server.halt();
    const r = await running;
    server.start();
    await db.end().catch(() => undefined);
    db = new pg.Client({ connectionString: server.connStr });
    db.on('error', () => undefined);
    await db.connect();
    expect(r.code, r.stderr).to.equal(1);
    const emergency = join(dir, 'infra.state.default.emergency.json');
    expect(r.stderr).to.include('Error: The state could not be saved; it was written to an emergency file');
    expect(r.stderr).to.include(`  infra state push ${emergency}\nthen run plan or apply again.`);
    const saved = JSON.parse(readFileSync(emergency, 'utf8')) as StateFile;
    // The step in flight when the database went away finished, and its object is recorded.
    expect(saved.resources.map((x) => x.address)).to.include(provider.objects[0].address);
    expect(provider.objects).to.have.length(1);
    const pushed = await runCli(['state', 'push', emergency, '-C', dir], { cwd: dir, env });
    expect(pushed.code, pushed.stderr).to.equal(0);
    provider.latencyMs = 0;
    const again = await runCli(['apply', '--auto-approve', '-C', dir], { cwd: dir, env });
    expect(again.code, again.stderr).to.equal(0);
    expect(provider.objects.map((o) => o.address).sort()).to.deep.equal(['test_instance.db', 'test_instance.web']);
    const plan = await runCli(['plan', '-C', dir], { cwd: dir, env });
    expect(plan.stdout).to.include('No changes.');
  });

  it('migrates a local state into the backend and back, keeping lineage and serial; pull and push', async () => {
    const local = tempConfig({ 'main.infra': 'resource "test_instance" "web" {\n  name = "web"\n}\n' });
    cleanups.push(local.cleanup);
    const env = { PG_CONN_STR: server.connStr };
    expect((await runCli(['apply', '--auto-approve', '-C', local.dir], { cwd: local.dir, env })).code).to.equal(0);
    const before = JSON.parse(readFileSync(join(local.dir, 'infra.state.json'), 'utf8')) as StateFile;
    writeFileSync(join(local.dir, 'main.infra'), configWith('infra_migrate', 'resource "test_instance" "web" {\n  name = "web"\n}\n'));
    const up = await runCli(['init', '--migrate-state', '-C', local.dir], { cwd: local.dir, env });
    expect(up.code, up.stderr).to.equal(0);
    const stored = (await row('infra_migrate'))!;
    expect([Number(stored.serial), stored.lineage]).to.deep.equal([before.serial, before.lineage]);
    expect(stored.data).to.equal(readFileSync(join(local.dir, 'infra.state.json'), 'utf8'));

    const pulled = await runCli(['state', 'pull', '-C', local.dir], { cwd: local.dir, env });
    expect(pulled.stdout).to.equal(stored.data);
    const older = { ...before, serial: before.serial - 1 };
    writeFileSync(join(local.dir, 'older.json'), JSON.stringify(older));
    const refused = await runCli(['state', 'push', 'older.json', '-C', local.dir], { cwd: local.dir, env });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include(`older.json: its serial ${before.serial - 1} is older than the stored serial ${before.serial}.`);
    writeFileSync(join(local.dir, 'other.json'), JSON.stringify({ ...before, lineage: '00000000-0000-4000-8000-000000000000' }));
    const foreign = await runCli(['state', 'push', 'other.json', '-C', local.dir], { cwd: local.dir, env });
    expect(foreign.stderr).to.include('its lineage is 00000000-0000-4000-8000-000000000000');
    const pushed = await runCli(['state', 'push', 'older.json', '--force', '-C', local.dir], { cwd: local.dir, env });
    expect(pushed.code, pushed.stderr).to.equal(0);
    const serial = before.serial + 1;
    expect(Number((await row('infra_migrate'))!.serial)).to.equal(serial);

    const down = await runCli(['init', '--migrate-state', '--to-local', '--force', '-C', local.dir], { cwd: local.dir, env });
    expect(down.code, down.stderr).to.equal(0);
    const back = JSON.parse(readFileSync(join(local.dir, 'infra.state.json'), 'utf8')) as StateFile;
    expect([back.serial, back.lineage]).to.deep.equal([serial, before.lineage]);
    expect(back.resources).to.deep.equal(before.resources);
  });
});
