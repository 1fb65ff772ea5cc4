/**
 * Addresses on the loopback interface, through iproute2's `ip` (present on every machine this
 * runs on; see shared/FACTS.md). Adding and removing addresses needs root.
 */
import { execa } from 'execa';

/** The outcome of an `ip` call: null on success, else what went wrong (one line). */
export type IpProblem = string | null;

async function ip(args: readonly string[]): Promise<{ ok: boolean; stdout: string; problem: string }> {
  const r = await execa('ip', args, { reject: false, stdin: 'ignore' });
  const stdout = typeof r.stdout === 'string' ? r.stdout : '';
  const stderr = typeof r.stderr === 'string' ? r.stderr.trim() : '';
  if (!r.failed) return { ok: true, stdout, problem: '' };
  if (r.exitCode === undefined) return { ok: false, stdout, problem: `ip could not run (${r.originalMessage}); is iproute2 installed?` };
  return { ok: false, stdout, problem: `ip ${args.join(' ')} failed: ${stderr || `status ${r.exitCode}`}` };
}

/** The IPv4 addresses on `lo` now, or what went wrong. */
export async function loopbackAddresses(): Promise<Set<string> | string> {
  const r = await ip(['-j', '-4', 'addr', 'show', 'dev', 'lo']);
  if (!r.ok) return r.problem;
  const out = new Set<string>();
  const parsed = JSON.parse(r.stdout || '[]') as { addr_info?: { local?: string }[] }[];
  for (const link of parsed) for (const a of link.addr_info ?? []) if (a.local) out.add(a.local);
  return out;
}

/** Adds `ipv4/32` to `lo`. */
export async function addLoopbackAddress(ipv4: string): Promise<IpProblem> {
  const r = await ip(['addr', 'add', `${ipv4}/32`, 'dev', 'lo']);
  return r.ok ? null : r.problem;
}

/** Removes `ipv4/32` from `lo`; an address that is not there counts as removed. */
export async function removeLoopbackAddress(ipv4: string): Promise<IpProblem> {
  const r = await ip(['addr', 'del', `${ipv4}/32`, 'dev', 'lo']);
  if (r.ok || /Cannot assign requested address/i.test(r.problem)) return null;
  return r.problem;
}
