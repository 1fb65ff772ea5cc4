// Bundles the CLI into dist/ with esbuild: one file starts far faster than hundreds of ESM
// modules (shared/FACTS.md), and splitting keeps providers in chunks loaded only when used.
// Every npm package is bundled, so the published package declares no runtime dependency (they
// are devDependencies, for the tests, which run from src/): installing it fetches nothing
// twice, and test/cli/packaging.test.ts checks that dist/ imports only Node's own modules.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ['src/cli.ts', 'src/demo/demo.ts'],
  outdir: 'dist',
  entryNames: '[name]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __infraCreateRequire } from 'node:module'; const require = __infraCreateRequire(import.meta.url);",
  },
});
