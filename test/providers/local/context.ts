/**
 * An operation context for provider tests: a temporary state directory, a lineage of its own,
 * and a log that keeps every line (printed when INFRA_TEST_LOG is set).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OperationContext } from '../../../src/providers/contract.js';
import { cleanupAll } from '../../../src/providers/local/host.js';

export interface TestContext extends OperationContext {
  readonly lines: string[];
  readonly abort: AbortController;
  /** Destroys every local host of the state directory, then removes the directory. */
  dispose(): Promise<void>;
}

export async function testContext(prefix: string): Promise<TestContext> {
  const stateDir = await mkdtemp(join(tmpdir(), `infra-${prefix}-`));
  const lines: string[] = [];
  const abort = new AbortController();
  return {
    stateDir,
    lineage: randomUUID(),
    providerConfig: {},
    log: (line: string) => {
      lines.push(line);
      if (process.env['INFRA_TEST_LOG']) console.log(`    | ${(performance.now() / 1000).toFixed(2)} ${line}`);
    },
    signal: abort.signal,
    env: process.env,
    lines,
    abort,
    async dispose() {
      const problems = await cleanupAll(stateDir);
      await rm(stateDir, { recursive: true, force: true });
      if (problems.length > 0) throw new Error(`cleanup of ${stateDir}: ${problems.join('; ')}`);
    },
  };
}
