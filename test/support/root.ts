/**
 * Preconditions of the tests that run real servers (BIND, nginx, ansible) on loopback addresses.
 * They never skip silently: without root or without the packages, the suite fails and says why.
 */
import { execFileSync } from 'node:child_process';

/** Fails (throws) unless the tests run as root, naming what needs it. */
export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${what} needs root: it adds addresses to the loopback interface and runs servers on port 53. ` +
        'Run the tests as root (for example "sudo npm test").',
    );
  }
}

/** Fails (throws) unless every command is installed, pointing at the setup script. */
export function requireCommands(...names: string[]): void {
  const missing = names.filter((n) => {
    try {
      execFileSync('sh', ['-c', `PATH="$PATH:/usr/sbin:/sbin" command -v "$1"`, 'sh', n], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(`Missing ${missing.join(', ')}: run "npm run setup" (scripts/setup.sh) as root first.`);
  }
}
