import { expect } from 'chai';
import {
  addressTags,
  allTags,
  configuredLabel,
  decodeTags,
  generationTag,
  isManagedTag,
  labelProblems,
  linodeLabel,
  stateTag,
  tagProblems,
} from '../../../src/providers/linode/naming.js';
import { backoffMs, retryDecision } from '../../../src/providers/linode/retry.js';
import { apiRootOf, resolveSettings } from '../../../src/providers/linode/settings.js';
import { retryAfterMs } from '../../../src/providers/linode/client.js';
import { provider } from '../../../src/providers/linode/index.js';
import { linodeConfigSchema, linodeSchemas } from '../../../src/providers/linode/schema.js';

describe('linode provider: names, tags, settings', () => {
  it('suffixes the label with the generation of blue-green copies, and reads it back', () => {
    expect(linodeLabel('ns1', 0)).to.equal('ns1');
    expect(linodeLabel('ns1', 2)).to.equal('ns1-g2');
    expect(configuredLabel('ns1-g2', 2)).to.equal('ns1');
    expect(configuredLabel('ns1-g3', 2)).to.equal(null);
    expect(configuredLabel('renamed', 0)).to.equal('renamed');
  });

  it('checks labels against Linode\'s rules', () => {
    expect(labelProblems('ns1-g2')).to.deep.equal([]);
    expect(labelProblems('a.b_c-1')).to.deep.equal([]);
    expect(labelProblems('ab')).to.deep.equal(['must be 3-64 characters long (it is 2)']);
    expect(labelProblems('-ns1')).to.deep.equal(['must begin with a letter']);
    // The OpenAPI pattern wants a letter first: a digit is not enough.
    expect(labelProblems('1ns')).to.deep.equal(['must begin with a letter']);
    expect(labelProblems('ns1-')).to.deep.equal(['must end with a letter or digit']);
    expect(labelProblems('ns1__a')).to.deep.equal(['may not contain "--", "__" or ".."']);
    expect(labelProblems('ns1..a')).to.deep.equal(['may not contain "--", "__" or ".."']);
    expect(labelProblems('ns1--g2')).to.deep.equal(['may not contain "--", "__" or ".."']);
    expect(labelProblems('ns 1')).to.deep.equal(['may only contain letters, digits, "-", "_" and "."']);
    expect(labelProblems('x'.repeat(65))).to.deep.equal(['must be 3-64 characters long (it is 65)']);
  });

  it('tags instances with the state\'s lineage, within 50 characters', () => {
    const lineage = '0b6f1c2e-5d1e-4c7a-9f3b-2a7d8e9f0a1b';
    expect(stateTag(lineage)).to.equal(`infra:${lineage}`);
    expect(stateTag('Not A UUID!')).to.match(/^infra:[0-9a-f]{32}$/);
    expect(stateTag('x'.repeat(200)).length).to.be.at.most(50);
    expect(allTags(['dns', 'dns'], lineage, 'a.b', 2)).to.deep.equal(['dns', `infra:${lineage}`, 'infra-addr1:a.b', 'infra-gen:2']);
    expect(tagProblems('ok-tag')).to.deep.equal([]);
    expect(tagProblems('x')).to.deep.equal(['must be 3-50 characters long (it is 1)']);
    expect(tagProblems('infra-mine')).to.deep.equal(['begins with "infra:" or "infra-", which are reserved for the tool']);
  });

  it('writes the address and generation into tags that read back, however long or odd the address', () => {
    expect(addressTags('linode_instance.ns["ns1"]')).to.deep.equal(['infra-addr1:linode_instance.ns~5b~22ns1~22~5d']);
    for (const address of ['linode_instance.ns["ns1"]', 'linode_instance.web["Zürich-Ost"]', `module.a.linode_instance.x["${'k'.repeat(90)}"]`, 'x']) {
      const tags = addressTags(address);
      expect(tags.every((t) => t.length <= 50 && t === t.toLowerCase() && isManagedTag(t))).to.equal(true);
      expect(decodeTags(['dns', ...tags.reverse(), generationTag(7)])).to.deep.equal({ address, generation: 7 });
    }
    expect(addressTags(`linode_instance.x["${'k'.repeat(90)}"]`).length).to.equal(4);
    expect(decodeTags(['dns'])).to.deep.equal({ address: null, generation: null });
    expect(decodeTags(['infra-addr2:abc'])).to.deep.equal({ address: null, generation: null });
    expect(decodeTags(['infra-addr1:ABC'])).to.deep.equal({ address: null, generation: null });
  });

  it('retries 429, 5xx, "Linode busy." and connection failures, and only those', () => {
    const http = (status: number, reason = 'x', retryAfter: number | null = null) => ({ kind: 'http' as const, status, errors: [{ reason }], retryAfterMs: retryAfter });
    expect(retryDecision(http(429, 'x', 3000))).to.deep.equal({ retry: true, ambiguous: false, waitMs: 3000 });
    expect(retryDecision(http(503))).to.deep.equal({ retry: true, ambiguous: true, waitMs: null });
    expect(retryDecision(http(400, 'Linode busy.'))).to.deep.equal({ retry: true, ambiguous: false, waitMs: null });
    expect(retryDecision(http(400)).retry).to.equal(false);
    expect(retryDecision(http(401)).retry).to.equal(false);
    expect(retryDecision(http(404)).retry).to.equal(false);
    expect(retryDecision({ kind: 'network', code: 'ECONNRESET' })).to.deep.equal({ retry: true, ambiguous: true, waitMs: null });
    expect(retryDecision({ kind: 'network', code: 'ECONNREFUSED' })).to.deep.equal({ retry: true, ambiguous: false, waitMs: null });
    expect(retryDecision({ kind: 'network', code: 'ENOTFOUND' }).retry).to.equal(false);
  });

  it('backs off exponentially with jitter, capped', () => {
    const policy = { maxRetries: 10, minDelayMs: 100, maxDelayMs: 1000, budgetMs: 60_000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, policy, () => 0))).to.deep.equal([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, policy, () => 1))).to.deep.equal([100, 200, 400, 800, 1000]);
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(retryAfterMs('2')).to.equal(2000);
    expect(retryAfterMs('Thu, 01 Jan 2099 00:00:10 GMT', Date.parse('Thu, 01 Jan 2099 00:00:00 GMT'))).to.equal(10_000);
    expect(retryAfterMs(undefined)).to.equal(null);
    expect(retryAfterMs('soon')).to.equal(null);
  });

  it('takes the token from the block or LINODE_TOKEN, and the address from url or LINODE_URL', () => {
    const fromEnv = resolveSettings({}, { LINODE_TOKEN: 'tok-env', LINODE_URL: 'http://127.0.0.1:9/v4' });
    expect(fromEnv.settings?.token).to.equal('tok-env');
    expect(fromEnv.settings?.apiRoot).to.equal('http://127.0.0.1:9');
    const fromBlock = resolveSettings({ token: 'tok-block', url: 'http://127.0.0.1:8/' }, { LINODE_TOKEN: 'tok-env' });
    expect(fromBlock.settings?.token).to.equal('tok-block');
    expect(fromBlock.settings?.apiRoot).to.equal('http://127.0.0.1:8');
    expect(resolveSettings({ token: 't' }, {}).settings?.apiRoot).to.equal('https://api.linode.com');
    expect(apiRootOf('https://proxy.example/linode/v4beta')).to.equal('https://proxy.example/linode');
    expect(apiRootOf('ftp://x')).to.equal(null);
  });

  it('reports a missing token before anything is called', () => {
    expect(provider.validateConfig?.({}, {})).to.deep.equal([
      {
        severity: 'error',
        summary: 'No Linode API token',
        detail: 'Set token in the provider "linode" block (for example token = env("LINODE_TOKEN")) or export LINODE_TOKEN.',
      },
    ]);
    expect(provider.validateConfig?.({ url: 'nonsense' }, { LINODE_TOKEN: 't0ken' })).to.deep.equal([
      {
        severity: 'error',
        summary: 'Invalid Linode API address "nonsense"',
        detail: 'The url (or LINODE_URL) must be an http or https address such as https://api.linode.com/v4.',
      },
    ]);
    expect(provider.validateConfig?.({ token: 't0ken', max_retries: -1 }, {})).to.deep.equal([
      { severity: 'error', summary: 'Invalid max_retries in provider "linode"', detail: 'Expected a number of at least 0.' },
    ]);
  });

  it('declares which attributes force replacement, and marks the token and root_pass sensitive', () => {
    const attrs = linodeSchemas.linode_instance.attributes;
    const replacing = Object.keys(attrs).filter((k) => attrs[k].forcesReplacement).sort();
    expect(replacing).to.deep.equal(['authorized_keys', 'image', 'private_ip', 'region', 'root_pass', 'type']);
    expect(attrs.label.forcesReplacement).to.equal(undefined);
    expect(attrs.tags.forcesReplacement).to.equal(undefined);
    expect(attrs.root_pass.sensitive).to.equal(true);
    expect(linodeConfigSchema.token.sensitive).to.equal(true);
    expect(linodeSchemas.linode_instance.role).to.equal('instance');
  });
});
