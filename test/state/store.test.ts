import { expect } from 'chai';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readStateFile, StateStore, emptyState } from '../../src/state/store.js';
import { decodeState, encodeState } from '../../src/state/codec.js';
import { upsertInstance } from '../../src/state/query.js';
import type { StateFile } from '../../src/state/types.js';
import { INFRA_VERSION } from '../../src/state/version.js';
import { printDiagnostics, sampleInstance, temporaryDirectory } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('state/store', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let statePath: string;
  const open: StateStore[] = [];

  beforeEach(async () => {
    ({ dir, cleanup } = await temporaryDirectory());
    statePath = join(dir, 'infra.state.json');
  });

  afterEach(async () => {
    for (const store of open.splice(0)) await store.release();
    await cleanup();
  });

  async function openStore(options: { lock?: boolean } = {}): Promise<StateStore> {
    const { store, diagnostics } = await StateStore.open(statePath, { operation: 'apply', ...options });
    expect(printDiagnostics(diagnostics)).to.equal('');
    open.push(store!);
    return store!;
  }

  function withResources(state: StateFile, ...addresses: string[]): StateFile {
    return addresses.reduce((s, address) => upsertInstance(s, sampleInstance(address)), state);
  }

  it('reads a missing state file as no state, without diagnostics', async () => {
    expect(await readStateFile(statePath)).to.deep.equal({ state: null, diagnostics: [] });
    const store = await openStore();
    expect(store.state).to.deep.equal(emptyState());
  });

  it('reads back exactly what it wrote', async () => {
    const store = await openStore();
    const next: StateFile = {
      ...withResources(store.state, 'local_host.ns["ns1"]', 'local_file.zone[0]'),
      outputs: { ip: { value: '127.0.0.2', sensitive: false }, token: { value: { a: [1, null] }, sensitive: true } },
    };
    expect(await store.persist(next)).to.deep.equal([]);
    const read = await readStateFile(statePath);
    expect(read.diagnostics).to.deep.equal([]);
    expect(read.state).to.deep.equal(store.state);
    expect(read.state!.resources.map((r) => r.address)).to.deep.equal(['local_file.zone[0]', 'local_host.ns["ns1"]']);
    expect(read.state!.infra_version).to.equal(INFRA_VERSION);
    expect(await readFile(statePath, 'utf8')).to.equal(encodeState(store.state));
  });

  it('increments serial on every write, whatever serial the caller passes', async () => {
    const store = await openStore();
    const serials: number[] = [];
    for (let i = 0; i < 4; i++) {
      await store.persist({ ...store.state, serial: 100 });
      serials.push(store.state.serial, decodeState(await readFile(statePath, 'utf8'), statePath).state!.serial);
    }
    expect(serials).to.deep.equal([1, 1, 2, 2, 3, 3, 4, 4]);
  });

  it('sets lineage on the first write and keeps it, across writes and re-opens', async () => {
    let store = await openStore();
    expect(store.state.lineage).to.equal('');
    await store.persist(store.state);
    const lineage = store.state.lineage;
    expect(lineage).to.match(UUID);
    await store.persist({ ...store.state, lineage: 'something else' });
    expect(store.state.lineage).to.equal(lineage);
    await store.release();
    store = await openStore();
    await store.persist(withResources(store.state, 'local_host.lb'));
    expect(store.state.lineage).to.equal(lineage);
    expect((await readStateFile(statePath)).state!.lineage).to.equal(lineage);
  });

  it('keeps the previous content as <path>.backup, readable by its owner only', async () => {
    const store = await openStore();
    await store.persist(withResources(store.state, 'local_host.a'));
    const first = await readFile(statePath, 'utf8');
    await store.persist(withResources(store.state, 'local_host.b'));
    const second = await readFile(statePath, 'utf8');
    expect(await readFile(`${statePath}.backup`, 'utf8')).to.equal(first);
    await store.persist(withResources(store.state, 'local_host.c'));
    expect(await readFile(`${statePath}.backup`, 'utf8')).to.equal(second);
    expect((await stat(statePath)).mode & 0o777).to.equal(0o600);
    expect((await stat(`${statePath}.backup`)).mode & 0o777).to.equal(0o600);
  });

  it('leaves no temporary files behind', async () => {
    const store = await openStore();
    for (let i = 0; i < 20; i++) await store.persist(withResources(store.state, `local_host.h[${i}]`));
    expect((await readdir(dir)).sort()).to.deep.equal(['infra.state.json', 'infra.state.json.backup', 'infra.state.json.lock']);
    await store.release();
    open.splice(0);
    expect((await readdir(dir)).sort()).to.deep.equal(['infra.state.json', 'infra.state.json.backup']);
  });

  it('lands concurrent updates in call order, none lost, each caller waiting for its own write', async () => {
    const store = await openStore();
    const resolved: number[] = [];
    const calls = Array.from({ length: 40 }, (_, i) =>
      store
        .update((s) => {
          const order = (s.outputs.order?.value ?? []) as readonly number[];
          const next = withResources(s, `local_host.step[${i}]`);
          return { ...next, outputs: { order: { value: [...order, i], sensitive: false } } };
        })
        .then(async (diagnostics) => {
          resolved.push(i);
          // The write carrying this change is on disk by now.
          const onDisk = (await readStateFile(statePath)).state!;
          expect(onDisk.resources.some((r) => r.address === `local_host.step[${i}]`)).to.equal(true);
          return diagnostics;
        }),
    );
    expect(await Promise.all(calls)).to.deep.equal(calls.map(() => []));
    expect(resolved).to.deep.equal([...resolved].sort((a, b) => a - b));
    const onDisk = (await readStateFile(statePath)).state!;
    expect(onDisk).to.deep.equal(store.state);
    expect(onDisk.outputs.order.value).to.deep.equal(Array.from({ length: 40 }, (_, i) => i));
    expect(onDisk.resources).to.have.length(40);
    // The first call's write starts at once; the 39 made while it was in progress go out together.
    expect(onDisk.serial).to.equal(2);
  });

  it('applies a persist and the updates after it in order', async () => {
    const store = await openStore();
    const replaced = store.persist(withResources(store.state, 'local_host.a', 'local_host.b'));
    const added = store.update((s) => withResources(s, 'local_host.c'));
    await Promise.all([replaced, added]);
    expect(store.state.resources.map((r) => r.address)).to.deep.equal(['local_host.a', 'local_host.b', 'local_host.c']);
    expect((await readStateFile(statePath)).state).to.deep.equal(store.state);
  });

  it('reports a failed write, keeps the change in memory, and writes it with the next one', async () => {
    const store = await openStore();
    await store.persist(withResources(store.state, 'local_host.a'));
    // A directory where the file should be makes the rename fail, even for root.
    await rm(statePath);
    await mkdir(statePath);
    const failed = await store.persist(withResources(store.state, 'local_host.b'));
    expect(printDiagnostics(failed)).to.match(
      new RegExp(
        `^Error: Failed to write the state file\n${escape(statePath)}: .*\nThe file still holds serial 1; ` +
          'the changes since are kept in memory and go out with the next write.$',
      ),
    );
    expect(store.state.resources.map((r) => r.address)).to.deep.equal(['local_host.a', 'local_host.b']);
    await rm(statePath, { recursive: true });
    expect(await store.update((s) => withResources(s, 'local_host.c'))).to.deep.equal([]);
    const onDisk = (await readStateFile(statePath)).state!;
    expect(onDisk.serial).to.equal(2);
    expect(onDisk.resources.map((r) => r.address)).to.deep.equal(['local_host.a', 'local_host.b', 'local_host.c']);
  });

  it('refuses to write a state it could not read back (a bug, so it throws)', async () => {
    const store = await openStore();
    const twice = sampleInstance('local_host.a');
    let thrown: unknown;
    await store.persist({ ...store.state, resources: [twice, twice] }).catch((e: unknown) => (thrown = e));
    expect(String(thrown)).to.contain('refusing to write an invalid state');
    expect(String(thrown)).to.contain('local_host.a generation 0 is recorded twice');
  });

  it('opens read-only without the lock while another holds it, and refuses to write then', async () => {
    const writer = await openStore();
    await writer.persist(withResources(writer.state, 'local_host.a'));
    const reader = await openStore({ lock: false });
    expect(reader.state).to.deep.equal(writer.state);
    expect(reader.writable).to.equal(false);
    expect(() => reader.persist(reader.state)).to.throw('opened without the lock, so read-only');
  });

  it('refuses to write after release', async () => {
    const store = await openStore();
    await store.release();
    expect(() => store.persist(store.state)).to.throw('written after release');
  });

  it('fails to open a corrupt state file, naming the path, the cause and the backup, and frees the lock', async () => {
    const store = await openStore();
    await store.persist(withResources(store.state, 'local_host.a'));
    await store.persist(withResources(store.state, 'local_host.b'));
    await store.release();
    await writeFile(statePath, '{"format_version": 1, "serial": 2,');
    const opened = await StateStore.open(statePath, { operation: 'plan' });
    expect(opened.store).to.equal(null);
    expect(printDiagnostics(opened.diagnostics)).to.equal(
      [
        'Error: State file is not valid JSON',
        `${statePath}:1:35: Expected double-quoted property name`,
        '',
        `The state before the last write is kept in ${statePath}.backup; if ${statePath} cannot be repaired, ` +
          'check the backup and copy it over the state file.',
      ].join('\n'),
    );
    expect(opened.diagnostics[0].range?.file).to.equal(statePath);
    expect((await readdir(dir)).sort()).to.deep.equal(['infra.state.json', 'infra.state.json.backup']);
  });

  it('reports a state path it cannot read as a diagnostic', async () => {
    await mkdir(statePath);
    const read = await readStateFile(statePath);
    expect(read.state).to.equal(null);
    expect(printDiagnostics(read.diagnostics)).to.equal(
      `Error: Cannot read the state file\n${statePath}: EISDIR: illegal operation on a directory, read`,
    );
  });

  it('removes temporary files of writers killed before their rename, and only those', async () => {
    const abandoned = `${statePath}.tmp-999999999-0a1b2c3d4e5f`;
    const abandonedBackup = `${statePath}.backup.tmp-999999999-0a1b2c3d4e5f`;
    const live = `${statePath}.tmp-${process.pid}-0a1b2c3d4e5f`;
    for (const path of [abandoned, abandonedBackup, live]) await writeFile(path, '{"half": ');
    await openStore();
    expect((await readdir(dir)).sort()).to.deep.equal(['infra.state.json.lock', `infra.state.json.tmp-${process.pid}-0a1b2c3d4e5f`]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
