/**
 * What the end-to-end tests of examples/local share: the example with its playbook paths made
 * absolute (the tests run it from a temporary folder), queries to its endpoints, and the check
 * that a destroy leaves no process and no loopback address behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseServer, queryOnce } from '../../src/providers/dns_check/query.js';
import { answerValues, soaSerial } from '../../src/providers/dns_check/records.js';
import { processesMentioning } from '../../src/providers/local/processes.js';
import type { StateFile } from '../../src/state/types.js';
import { runCli } from './cli.js';

const root = join(import.meta.dirname, '..', '..');

/** examples/local/main.infra, runnable from any folder. */
export const LOCAL_EXAMPLE = readFileSync(join(root, 'examples', 'local', 'main.infra'), 'utf8').replaceAll('../../ansible/', `${join(root, 'ansible')}/`);

/** The IPv4 addresses on `lo` now. */
export function addressesOnLo(): string[] {
  return execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /inet (\d+\.\d+\.\d+\.\d+)\//.exec(l)?.[1])
    .filter((a): a is string => !!a);
}

/** The SOA serial of example.test at `endpoint` (`ip:port`), or undefined when it does not answer. */
export async function soa(endpoint: string, proto: 'udp' | 'tcp' = 'udp'): Promise<number | undefined> {
  const r = await queryOnce(parseServer(endpoint)!, 'example.test', 'SOA', proto, 2000);
  return r.kind === 'answer' ? soaSerial(r.response) : undefined;
}

/** The A records of www.example.test at `endpoint`. */
export async function www(endpoint: string): Promise<string[]> {
  const r = await queryOnce(parseServer(endpoint)!, 'www.example.test', 'A', 'udp', 2000);
  return r.kind === 'answer' ? answerValues(r.response, 'A') : [];
}

/**
 * Destroys the stack in `dir` (with `args` after `destroy`), removes the folder, and expects the
 * destroy to succeed with no process left that mentions the folder and none of the addresses
 * the state held still on `lo`.
 */
export async function destroyAndExpectNothingLeft(dir: string, args: readonly string[]): Promise<void> {
  const addresses = existsSync(join(dir, 'infra.state.json'))
    ? (JSON.parse(readFileSync(join(dir, 'infra.state.json'), 'utf8')) as StateFile).resources
        .flatMap((r) => [r.attributes.ipv4, r.attributes.address])
        .filter((a): a is string => typeof a === 'string')
    : [];
  const r = await runCli(['destroy', '-C', dir, '--auto-approve', ...args], { cwd: dir });
  const leftovers = processesMentioning(dir);
  const onLo = addressesOnLo().filter((a) => addresses.includes(a));
  rmSync(dir, { recursive: true, force: true });
  expect(r.code, r.stderr).to.equal(0);
  expect(leftovers, 'processes left behind').to.deep.equal([]);
  expect(onLo, 'addresses left on lo').to.deep.equal([]);
}
