/**
 * `infra version` (also `infra -version`, `infra --version`, `infra -v`): which infra, on which
 * platform and Node.js - what a bug report needs first.
 */
import { INFRA_VERSION } from '../state/version.js';
import type { Io } from './io.js';

/** Prints `infra vX.Y.Z` and `on PLATFORM, node vN`; with `json`, the same as one JSON object. */
export async function versionCommand(opts: { json?: boolean }, io: Io): Promise<number> {
  const platform = `${process.platform}_${process.arch}`;
  if (opts.json) {
    io.out(JSON.stringify({ infra_version: INFRA_VERSION, platform, node_version: process.version }, null, 2) + '\n');
  } else {
    io.out(`infra v${INFRA_VERSION}\non ${platform}, node ${process.version}\n`);
  }
  return 0;
}
