/**
 * Reading the files a user names (configuration, variable files, saved plans) whole, but never
 * more than a bound: `/dev/zero` or a runaway generated file must end in an error, not in a read
 * that fills memory until the process dies.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** The largest input file read: above the 10 MB a configuration file may be, well below memory trouble. */
export const MAX_INPUT_FILE_BYTES = 16 * 1024 * 1024;

/** Thrown by `readTextFileBounded` for a file (or device) longer than its bound. */
export class FileTooLargeError extends Error {
  constructor(
    readonly path: string,
    readonly maxBytes: number,
  ) {
    super(`larger than ${formatBytes(maxBytes)}`);
    this.name = 'FileTooLargeError';
  }
}

/** `16 MiB`. */
export function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

/**
 * The UTF-8 text of the file at `path`, read in chunks and abandoned as soon as it passes
 * `maxBytes` (FileTooLargeError). Other failures are Node's own errors (ENOENT, EISDIR, ...).
 */
export function readTextFileBounded(path: string, maxBytes: number = MAX_INPUT_FILE_BYTES): string {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, maxBytes + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw new FileTooLargeError(path, maxBytes);
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
