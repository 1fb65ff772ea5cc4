import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateCipher } from '../../src/state/encryption.js';
import { encodeState } from '../../src/state/codec.js';
import { emptyState } from '../../src/state/store.js';
import { RecordingProvider } from '../support/recording-provider.js';
import { runCli, tempConfig } from '../support/cli.js';
import { sampleInstance } from './helpers.js';

const RAW_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

describe('state/encryption', () => {
  it('seals with AES-256-GCM and opens to the identical text, with a passphrase or a raw key', () => {
    const text = encodeState({ ...emptyState(), serial: 3, lineage: 'l', resources: [sampleInstance('test_instance.web')] });
    for (const key of ['a long passphrase', RAW_KEY]) {
      const cipher = new StateCipher({ key, oldKey: null });
      const sealed = cipher.seal(text);
      expect(sealed).to.not.include('test_instance');
      expect(JSON.parse(sealed)).to.include({ infra_encrypted_state: 1, cipher: 'aes-256-gcm', kdf: key === RAW_KEY ? 'raw' : 'scrypt' });
      expect(new StateCipher({ key, oldKey: null }).open(sealed, 'f').text).to.equal(text);
    }
  });

  it('an altered byte or a wrong key is an error, never garbage; the old key still opens while rotating', () => {
    const sealed = new StateCipher({ key: 'first passphrase', oldKey: null }).seal('{"x":1}\n');
    const envelope = JSON.parse(sealed) as { ciphertext: string };
    const flipped = Buffer.from(envelope.ciphertext, 'base64');
    flipped[0] ^= 1;
    const altered = JSON.stringify({ ...envelope, ciphertext: flipped.toString('base64') });
    for (const [stored, keys] of [
      [sealed, { key: 'second passphrase', oldKey: null }],
      [altered, { key: 'first passphrase', oldKey: null }],
    ] as const) {
      const r = new StateCipher(keys).open(stored, 'infra.state.json');
      expect(r.text).to.equal(null);
      expect(r.diagnostics.map((d) => `${d.summary}\n${d.detail}`)).to.deep.equal([
        'Cannot decrypt the state: wrong key\n' +
          'infra.state.json is encrypted with another key: the key in INFRA_STATE_KEY does not fit (or the stored state was altered). ' +
          'Nothing was read or written. While rotating keys, give the previous key as old_key (or INFRA_STATE_OLD_KEY).',
      ]);
    }
    expect(new StateCipher({ key: 'second passphrase', oldKey: 'first passphrase' }).open(sealed, 'f').text).to.equal('{"x":1}\n');
  });

  describe('the local file', () => {
    let provider: RecordingProvider;
    let unregister: () => void;
    beforeEach(() => {
      provider = new RecordingProvider();
      unregister = provider.register();
    });
    afterEach(() => unregister());

    it('is encrypted with encryption { key }: unreadable without it, identical to a plain apply once pulled', async () => {
      const cfg = tempConfig({
        'main.infra': 'infra {\n  encryption {\n    key = env("MY_KEY")\n  }\n}\n\nresource "test_instance" "web" {\n  name = "web"\n}\n',
      });
      try {
        const env = { MY_KEY: RAW_KEY };
        const r = await runCli(['apply', '--auto-approve', '-C', cfg.dir], { cwd: cfg.dir, env });
        expect(r.code, r.stderr).to.equal(0);
        const stored = readFileSync(join(cfg.dir, 'infra.state.json'), 'utf8');
        expect(stored).to.not.include('test_instance');
        const pulled = await runCli(['state', 'pull', '-C', cfg.dir], { cwd: cfg.dir, env });
        expect(new StateCipher({ key: RAW_KEY, oldKey: null }).open(stored, 'f').text).to.equal(pulled.stdout);
        const without = await runCli(['state', 'list', '-C', cfg.dir], { cwd: cfg.dir, env: { MY_KEY: '' } });
        expect(without.code).to.equal(1);
        expect(without.stderr.split('\n')[0]).to.equal('main.infra:2:3: Error: The encryption block has no key');
        const elsewhere = tempConfig({});
        const plain = await runCli(['show', '--state', join(cfg.dir, 'infra.state.json')], { cwd: elsewhere.dir, env: { INFRA_STATE_KEY: '' } });
        elsewhere.cleanup();
        expect(plain.code).to.equal(1);
        expect(plain.stderr.split('\n')[0]).to.equal('Error: The state is encrypted and no key is set');
      } finally {
        cfg.cleanup();
      }
    });
  });
});
