// Child process for the lock tests: opens the state at argv[2] for the operation argv[3], prints
// the lock file's content as one JSON line, then obeys one command per line on stdin:
// `release` (release, then exit 0) or `exit` (process.exit(0) without releasing, as a CLI
// that exits at once on a second Ctrl-C does).
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { lockPathFor } from '../../../src/state/lock.js';
import { StateStore } from '../../../src/state/store.js';

const [statePath, operation] = process.argv.slice(2);
const { store, diagnostics } = await StateStore.open(statePath, { operation });
if (!store) {
  process.stderr.write(`${JSON.stringify(diagnostics)}\n`);
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(JSON.parse(readFileSync(lockPathFor(statePath), 'utf8')))}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'release') {
    await store.release();
    process.exit(0);
  }
  if (line === 'exit') process.exit(0);
}
