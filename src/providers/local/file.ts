/** `data "local_file"`: reads a file on this machine (schema.ts `localFileDataSchema`). */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { error } from '../../diagnostics.js';
import type { DataReadRequest, DataReadResponse, DataSourceType } from '../contract.js';
import { localFileDataSchema } from './schema.js';

/** Files larger than this are refused: a data source's value lives in the plan and the state. */
const MAX_BYTES = 16 * 1024 * 1024;

function digest(algorithm: string, data: Buffer, encoding: 'hex' | 'base64'): string {
  return createHash(algorithm).update(data).digest(encoding);
}

/** The `local_file` data source. */
export const localFile: DataSourceType = {
  schema: localFileDataSchema,
  async read(req: DataReadRequest): Promise<DataReadResponse> {
    const filename = String(req.config.filename);
    const path = resolve(req.configDir, filename);
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? String(e));
      return { state: null, diagnostics: [error(`Failed to read ${req.address}`, `Cannot read ${path}: ${why}.`)] };
    }
    if (data.length > MAX_BYTES) {
      return { state: null, diagnostics: [error(`Failed to read ${req.address}`, `${path} is ${data.length} bytes; local_file reads files of at most ${MAX_BYTES} bytes.`)] };
    }
    const sha1 = digest('sha1', data, 'hex');
    return {
      state: {
        filename,
        content: data.toString('utf8'),
        content_base64: data.toString('base64'),
        content_md5: digest('md5', data, 'hex'),
        content_sha1: sha1,
        content_sha256: digest('sha256', data, 'hex'),
        content_base64sha256: digest('sha256', data, 'base64'),
        content_sha512: digest('sha512', data, 'hex'),
        content_base64sha512: digest('sha512', data, 'base64'),
        id: sha1,
      },
      diagnostics: [],
    };
  },
};
