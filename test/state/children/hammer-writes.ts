// Child process for the atomicity tests: opens the state at argv[2] and persists a state of
// argv[3] resources argv[4] times (0: forever, until killed), then releases the store and exits.
// Prints `ready` after the first write.
import { StateStore } from '../../../src/state/store.js';
import type { StateInstance } from '../../../src/state/types.js';

const [statePath, count, rounds] = process.argv.slice(2);
const { store, diagnostics } = await StateStore.open(statePath, { operation: 'apply' });
if (!store) {
  process.stderr.write(`${JSON.stringify(diagnostics)}\n`);
  process.exit(2);
}

function instance(i: number, round: number): StateInstance {
  return {
    address: `local_file.f["${String(i).padStart(4, '0')}"]`,
    type: 'local_file',
    name: 'f',
    index: String(i).padStart(4, '0'),
    provider: 'local',
    role: 'instance',
    status: 'ready',
    generation: 0,
    color: null,
    live: true,
    // Big enough that a torn write would be caught mid-file by a reader.
    attributes: { content: `round ${round} `.repeat(40), round },
    sensitive_attributes: {},
    dependencies: [],
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: new Date().toISOString(),
  };
}

for (let round = 0; Number(rounds) === 0 || round < Number(rounds); round++) {
  const resources = Array.from({ length: Number(count) }, (_, i) => instance(i, round));
  const problems = await store.persist({ ...store.state, resources });
  if (problems.length > 0) {
    process.stderr.write(`${JSON.stringify(problems)}\n`);
    process.exit(3);
  }
  if (round === 0) process.stdout.write('ready\n');
}
await store.release();
