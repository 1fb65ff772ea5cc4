/**
 * The CLI with the recording test provider registered, for tests that need a real process
 * (kill -9, lock contention). The provider's world lives in INFRA_TEST_WORLD; with
 * INFRA_TEST_KILL_AFTER=N the process SIGKILLs itself right after the Nth create, update,
 * delete or verify has taken effect - before apply can record it.
 */
import { main } from '../../src/cli.js';
import { RecordingProvider } from './recording-provider.js';

const provider = new RecordingProvider(process.env.INFRA_TEST_WORLD);
provider.latencyMs = Number(process.env.INFRA_TEST_LATENCY_MS ?? '0');
const killAfter = Number(process.env.INFRA_TEST_KILL_AFTER ?? '0');
let effects = 0;
provider.afterEffect = (call) => {
  if (call.op === 'read') return;
  effects++;
  if (killAfter > 0 && effects === killAfter) process.kill(process.pid, 'SIGKILL');
};
provider.register();
process.exitCode = await main(process.argv.slice(2));
