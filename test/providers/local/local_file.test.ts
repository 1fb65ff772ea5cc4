/** `data "local_file"`: the contents and checksums it reads, and its errors. */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provider } from '../../../src/providers/local/index.js';
import type { OperationContext } from '../../../src/providers/contract.js';

const localFile = provider.dataSources!.local_file;
const ctx = {} as OperationContext;

describe('data "local_file"', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'infra-local-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a path relative to the configuration, keeping filename as written, with every checksum', async () => {
    const bytes = Buffer.from([0x68, 0x69, 0x0a, 0xff]);
    writeFileSync(join(dir, 'key.bin'), bytes);
    const r = await localFile.read({ address: 'data.local_file.k', config: { filename: 'key.bin' }, configDir: dir }, ctx);
    expect(r.diagnostics).to.deep.equal([]);
    const h = (alg: string, enc: 'hex' | 'base64') => createHash(alg).update(bytes).digest(enc);
    expect(r.state).to.deep.equal({
      filename: 'key.bin',
      content: bytes.toString('utf8'),
      content_base64: 'aGkK/w==',
      content_md5: h('md5', 'hex'),
      content_sha1: h('sha1', 'hex'),
      content_sha256: h('sha256', 'hex'),
      content_base64sha256: h('sha256', 'base64'),
      content_sha512: h('sha512', 'hex'),
      content_base64sha512: h('sha512', 'base64'),
      id: h('sha1', 'hex'),
    });
  });

  it('a missing file and a directory are errors naming the path', async () => {
    mkdirSync(join(dir, 'sub'));
    const missing = await localFile.read({ address: 'data.local_file.k', config: { filename: 'nope' }, configDir: dir }, ctx);
    expect(missing.state).to.equal(null);
    expect(missing.diagnostics.map((d) => [d.summary, d.detail])).to.deep.equal([['Failed to read data.local_file.k', `Cannot read ${join(dir, 'nope')}: no such file.`]]);
    const sub = await localFile.read({ address: 'data.local_file.k', config: { filename: 'sub' }, configDir: dir }, ctx);
    expect(sub.diagnostics.map((d) => d.detail)).to.deep.equal([`Cannot read ${join(dir, 'sub')}: it is a directory.`]);
  });
});
