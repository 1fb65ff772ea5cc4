/**
 * Client-side encryption of the state at rest, for the local file and the pg backend alike:
 * AES-256-GCM (authenticated: a wrong key or an altered byte fails to decrypt, never yields
 * garbage) over the state's JSON text. The key is either 32 bytes written as 64 hex digits,
 * used as is, or a passphrase, stretched with scrypt over a random salt kept in the envelope.
 * docs/state.md ("Encryption") describes the envelope, the key's sources and rotation.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { error, type Diagnostic } from '../diagnostics.js';

/** The environment variable holding the key when the configuration does not name one. */
export const STATE_KEY_ENV = 'INFRA_STATE_KEY';
/** The key a state may still be encrypted with while rotating to a new one. */
export const STATE_OLD_KEY_ENV = 'INFRA_STATE_OLD_KEY';

/** The field that marks a JSON document as an encrypted state rather than a plain one. */
const MARKER = 'infra_encrypted_state';
const CIPHER = 'aes-256-gcm';
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const RAW_KEY = /^[0-9a-fA-F]{64}$/;

/** The encrypted state as stored: JSON with these fields (binary ones in base64). */
export interface Envelope {
  readonly infra_encrypted_state: 1;
  readonly cipher: typeof CIPHER;
  /** `scrypt`: the key was a passphrase, stretched with `salt`; `raw`: 64 hex digits used as is. */
  readonly kdf: 'scrypt' | 'raw';
  readonly salt: string;
  readonly iv: string;
  readonly tag: string;
  readonly ciphertext: string;
}

/** The keys a command encrypts and decrypts with; `key` null means the state is stored in plain text. */
export interface StateKeys {
  readonly key: string | null;
  /** Also tried when decrypting, so a state written with the previous key is still read (rotation). */
  readonly oldKey: string | null;
}

/** No encryption. */
export const PLAIN: StateKeys = Object.freeze({ key: null, oldKey: null });

/**
 * Encrypts and decrypts state text with one set of keys. Derived keys are cached per salt:
 * scrypt costs about 100 ms, and an apply writes the state after every step, so one run uses one
 * salt for all its writes (with a fresh IV each).
 */
export class StateCipher {
  private readonly derived = new Map<string, Buffer>();
  private salt: Buffer | null = null;

  constructor(readonly keys: StateKeys) {}

  /** True when states are written encrypted. */
  get encrypts(): boolean {
    return this.keys.key !== null;
  }

  /** `text` as stored: unchanged without a key, else the JSON of its envelope with a final newline. */
  seal(text: string): string {
    const key = this.keys.key;
    if (key === null) return text;
    const kdf = RAW_KEY.test(key) ? 'raw' : 'scrypt';
    this.salt ??= randomBytes(16);
    const iv = randomBytes(12);
    const cipher = createCipheriv(CIPHER, this.keyFor(key, kdf, this.salt), iv);
    const ciphertext = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    const envelope: Envelope = {
      [MARKER]: 1,
      cipher: CIPHER,
      kdf,
      salt: kdf === 'raw' ? '' : this.salt.toString('base64'),
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
    return `${JSON.stringify(envelope, null, 2)}\n`;
  }

  /**
   * The state text inside `stored`: plain text is returned as is (a state written before
   * encryption was turned on is read, and encrypted on its next write); an envelope is decrypted
   * with the key, then the old key. No key, or no key that fits, is an error diagnostic naming
   * `where` - never garbage, since GCM authenticates every byte.
   */
  open(stored: string, where: string): { text: string | null; diagnostics: readonly Diagnostic[] } {
    const envelope = parseEnvelope(stored);
    if (envelope === null) return { text: stored, diagnostics: [] };
    if (typeof envelope === 'string') return { text: null, diagnostics: [error('The encrypted state is damaged', `${where}: ${envelope}`)] };
    const candidates = [this.keys.key, this.keys.oldKey].filter((k): k is string => k !== null);
    if (candidates.length === 0) {
      return {
        text: null,
        diagnostics: [
          error(
            'The state is encrypted and no key is set',
            `${where} is encrypted (AES-256-GCM). Set ${STATE_KEY_ENV} to its key, or configure ` +
              `infra { encryption { key = env("${STATE_KEY_ENV}") } }.`,
          ),
        ],
      };
    }
    for (const key of candidates) {
      const text = this.tryDecrypt(envelope, key);
      if (text !== null) return { text, diagnostics: [] };
    }
    const tried = this.keys.oldKey !== null ? `${STATE_KEY_ENV} and ${STATE_OLD_KEY_ENV} (old_key) do not` : `${STATE_KEY_ENV} does not`;
    return {
      text: null,
      diagnostics: [
        error(
          'Cannot decrypt the state: wrong key',
          `${where} is encrypted with another key: the key in ${tried} fit (or the stored state was altered). ` +
            'Nothing was read or written. While rotating keys, give the previous key as old_key (or ' +
            `${STATE_OLD_KEY_ENV}).`,
        ),
      ],
    };
  }

  private tryDecrypt(envelope: Envelope, key: string): string | null {
    if ((envelope.kdf === 'raw') !== RAW_KEY.test(key)) return null;
    try {
      const decipher = createDecipheriv(CIPHER, this.keyFor(key, envelope.kdf, Buffer.from(envelope.salt, 'base64')), Buffer.from(envelope.iv, 'base64'));
      decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
      const text = Buffer.concat([decipher.update(Buffer.from(envelope.ciphertext, 'base64')), decipher.final()]).toString('utf8');
      // Reuse the salt the state was written with: its derived key is cached already.
      if (envelope.kdf === 'scrypt' && key === this.keys.key) this.salt ??= Buffer.from(envelope.salt, 'base64');
      return text;
    } catch {
      return null;
    }
  }

  private keyFor(key: string, kdf: 'raw' | 'scrypt', salt: Buffer): Buffer {
    if (kdf === 'raw') return Buffer.from(key, 'hex');
    const cacheKey = `${salt.toString('base64')}\0${key}`;
    let derived = this.derived.get(cacheKey);
    if (derived === undefined) {
      derived = scryptSync(key, salt, 32, SCRYPT);
      this.derived.set(cacheKey, derived);
    }
    return derived;
  }
}

/** True when `stored` is an encrypted state (whatever key it needs). */
export function isEncrypted(stored: string): boolean {
  return parseEnvelope(stored) !== null;
}

/** null: not an envelope (plain state); a string: an envelope with this problem. */
function parseEnvelope(stored: string): Envelope | string | null {
  if (!stored.includes(MARKER)) return null;
  let data: unknown;
  try {
    data = JSON.parse(stored);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null || !(MARKER in data)) return null;
  const o = data as Record<string, unknown>;
  if (o[MARKER] !== 1) return `unsupported ${MARKER} version ${JSON.stringify(o[MARKER])}`;
  if (o.cipher !== CIPHER) return `unsupported cipher ${JSON.stringify(o.cipher)}`;
  if (o.kdf !== 'raw' && o.kdf !== 'scrypt') return `unsupported kdf ${JSON.stringify(o.kdf)}`;
  for (const f of ['salt', 'iv', 'tag', 'ciphertext']) if (typeof o[f] !== 'string') return `"${f}" is missing`;
  return o as unknown as Envelope;
}
