/**
 * Helpers for the Linode provider's tests: operation contexts that record every log line, a
 * provider block pointed at an emulator with retry and poll bounds small enough for tests, and
 * TCP listeners standing in for sshd on an instance's 127.x address.
 */
import { createServer, type Server } from 'node:net';
import type { Json } from '../../src/evaluate/value.js';
import type { OperationContext } from '../../src/providers/contract.js';
import type { LinodeEmulator } from './linode-emulator.js';

/** An operation context and the log lines it received. */
export interface RecordingContext {
  readonly ctx: OperationContext;
  readonly logs: string[];
}

/** A context whose log lines are kept in `logs`. */
export function recordingContext(
  providerConfig: Readonly<Record<string, Json>>,
  lineage: string,
  signal: AbortSignal = new AbortController().signal,
): RecordingContext {
  const logs: string[] = [];
  return {
    logs,
    ctx: { stateDir: '/nonexistent', lineage, providerConfig, log: (line) => logs.push(line), signal, env: process.env },
  };
}

/** A provider block for `emu` with small retry and poll bounds. */
export function fastProviderConfig(emu: LinodeEmulator, extra: Readonly<Record<string, Json>> = {}): Record<string, Json> {
  return {
    token: emu.token,
    url: emu.url,
    min_retry_delay_ms: 5,
    max_retry_delay_ms: 40,
    max_retries: 4,
    retry_timeout_ms: 5000,
    request_timeout_ms: 2000,
    poll_interval_ms: 15,
    ...extra,
  };
}

/**
 * A `provider "linode"` block, as configuration text, with small retry and poll bounds: the token
 * and API address come from LINODE_TOKEN and LINODE_URL (the emulator's), SSH from `sshPort`.
 */
export function fastProviderBlock(sshPort: number): string {
  return `provider "linode" {
  token              = env("LINODE_TOKEN", "")
  url                = env("LINODE_URL", "")
  min_retry_delay_ms = 10
  max_retry_delay_ms = 50
  max_retries        = 4
  retry_timeout_ms   = 10000
  request_timeout_ms = 3000
  poll_interval_ms   = 20
  ssh_port           = ${sshPort}
}
`;
}

/** A `linode_instance` configuration with every attribute present, defaults applied. */
export function instanceConfig(overrides: Readonly<Record<string, Json>> = {}): Record<string, Json> {
  return {
    label: 'ns1',
    region: 'us-east',
    type: 'g6-nanode-1',
    image: 'linode/debian12',
    tags: [],
    authorized_keys: [],
    root_pass: null,
    private_ip: false,
    timeouts: null,
    ...overrides,
  };
}

/** A TCP port free on 127.0.0.1 right now (used on other 127.x addresses, where it is free too). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A listener that accepts and closes connections on host:port (sshd's stand-in). */
export async function listen(host: string, port: number): Promise<Server> {
  if (!host.startsWith('127.')) throw new Error(`refusing to listen outside 127.0.0.0/8: ${host}`);
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** Closes a listener from `listen`. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
