// Shared by the state tests: temporary directories, sample records, and child processes that
// hold the state from another process.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../../src/diagnostics.js';
import type { StateInstance } from '../../src/state/types.js';

/** A fresh directory under the system's temp dir; `cleanup` removes it and everything in it. */
export async function temporaryDirectory(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'infra-state-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A ready, live record at `address`; `overrides` replace any field. */
export function sampleInstance(address: string, overrides: Partial<StateInstance> = {}): StateInstance {
  const match = /^([a-z0-9_]+)\.([a-z0-9_]+)(?:\[(.*)\])?$/.exec(address);
  if (!match) throw new Error(`sampleInstance: bad address ${address}`);
  const [, type, name, key] = match;
  return {
    address,
    type,
    name,
    index: key === undefined ? null : key.startsWith('"') ? (JSON.parse(key) as string) : Number(key),
    provider: type.split('_')[0],
    role: 'instance',
    status: 'ready',
    generation: 0,
    color: null,
    live: true,
    attributes: { id: `${address}#id` },
    sensitive_attributes: {},
    dependencies: [],
    created_at: '2026-01-02T03:04:05.000Z',
    updated_at: '2026-01-02T03:04:05.000Z',
    ...overrides,
  };
}

/** `Error: summary` and the detail beneath: how a diagnostic reads, for exact-text assertions. */
export function printDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map((d) => `${d.severity === 'error' ? 'Error' : 'Warning'}: ${d.summary}${d.detail ? `\n${d.detail}` : ''}`).join('\n\n');
}

/** A TypeScript child process (test/state/children/NAME.ts) whose stdout is read line by line. */
export class Child {
  readonly process: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly buffered: string[] = [];
  private readonly readers: Array<(line: string | null) => void> = [];
  private stderr = '';
  private ended = false;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(name: string, args: readonly string[]) {
    const script = fileURLToPath(new URL(`./children/${name}.ts`, import.meta.url));
    this.process = spawn(process.execPath, ['--import=tsx/esm', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.lines = createInterface({ input: this.process.stdout });
    this.lines.on('line', (line) => {
      const reader = this.readers.shift();
      if (reader) reader(line);
      else this.buffered.push(line);
    });
    this.lines.on('close', () => {
      this.ended = true;
      for (const reader of this.readers.splice(0)) reader(null);
    });
    this.exited = new Promise((resolve) => this.process.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The next line the child prints; rejects (with its stderr) if it exits first. */
  async nextLine(): Promise<string> {
    const line =
      this.buffered.shift() ??
      (this.ended ? null : await new Promise<string | null>((resolve) => this.readers.push(resolve)));
    if (line === null) throw new Error(`child exited before printing a line; stderr:\n${this.stderr}`);
    return line;
  }

  send(line: string): void {
    this.process.stdin.write(`${line}\n`);
  }

  /** Kills the child if it still runs (by its own pid) and waits for it to be gone. */
  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    await this.exited;
  }
}
