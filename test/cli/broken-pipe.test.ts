/**
 * `infra ... | head`: when the reader of stdout goes away, infra stops writing to it instead of
 * dying of an unhandled EPIPE with a stack trace. Run as a real child process with a real pipe.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('cli: a closed stdout (infra --help | head)', function () {
  this.timeout(60_000);

  it('ends without a stack trace, with the exit code of the command', async () => {
    const script = "import { main } from './src/cli.ts'; process.exitCode = await main(process.argv.slice(1));";
    const child = spawn(process.execPath, ['--import=tsx/esm', '--input-type=module', '-e', script, '--', '--help'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Read the first chunk, then close our end, as `head -1` does.
    child.stdout.once('data', () => child.stdout.destroy());
    const [code] = await once(child, 'close');
    expect(stderr).to.equal('');
    expect(code).to.equal(0);
  });
});
