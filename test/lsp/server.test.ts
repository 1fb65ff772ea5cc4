/**
 * The language server (src/lsp) as an editor runs it: a child process speaking the language
 * server protocol over stdio, driven by a scripted client that frames JSON-RPC messages itself.
 * Covers diagnostics as you type (infra validate's, and cleared when fixed), go to definition,
 * hover from the provider schemas, and completion of var./local. names, resource types and a
 * resource's attributes. The cases run in order on one server and one open document, each
 * editing it further.
 */
import { expect } from 'chai';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempConfig } from '../support/cli.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

interface Message {
  readonly id?: number;
  readonly method?: string;
  readonly params?: unknown;
  readonly result?: unknown;
  readonly error?: unknown;
}

/** A client for one server process: requests, notifications, and the notifications it sent. */
class ScriptedClient {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, (m: Message) => void>();
  private readonly waiters: { test: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  readonly notifications: Message[] = [];

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const headerEnd = this.buffer.indexOf('\r\n\r\n');
        if (headerEnd === -1) return;
        const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString('ascii'))?.[1]);
        if (this.buffer.length < headerEnd + 4 + length) return;
        const message = JSON.parse(this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8')) as Message;
        this.buffer = this.buffer.subarray(headerEnd + 4 + length);
        this.receive(message);
      }
    });
  }

  private receive(m: Message): void {
    if (m.id !== undefined && m.method === undefined) {
      this.pending.get(m.id)?.(m);
      this.pending.delete(m.id);
      return;
    }
    if (m.id !== undefined) {
      // A request from the server (registrations, configuration): acknowledge it.
      this.send({ jsonrpc: '2.0', id: m.id, result: null });
      return;
    }
    this.notifications.push(m);
    const i = this.waiters.findIndex((w) => w.test(m));
    if (i !== -1) this.waiters.splice(i, 1)[0].resolve(m);
  }

  private send(m: object): void {
    const body = Buffer.from(JSON.stringify(m), 'utf8');
    this.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin.write(body);
  }

  request(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (m) => (m.error !== undefined ? reject(new Error(JSON.stringify(m.error))) : resolve(m.result)));
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  /** The next notification (from now on) that passes `test`. */
  next(test: (m: Message) => boolean): Promise<Message> {
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }
}

const main = `variable "zone" {
  type        = string
  default     = "example.test"
  description = "The zone the nameservers serve"
}

locals {
  label = "ns-\${var.zone}"
}

resource "linode_instance" "ns" {
  label  = local.label
  region = var.serail
  type   = "g6-nanode-1"
  image  = "linode/debian12"
}
`;

describe('language server over stdio', function () {
  this.timeout(60000);
  let cfg: { dir: string; cleanup: () => void };
  let child: ChildProcessWithoutNullStreams;
  let client: ScriptedClient;
  let uri: string;

  const publishedFor = (u: string) => (m: Message) => m.method === 'textDocument/publishDiagnostics' && (m.params as { uri: string }).uri === u;

  before(async () => {
    cfg = tempConfig({ 'main.infra': main });
    uri = pathToFileURL(join(cfg.dir, 'main.infra')).href;
    // `infra lsp`, as an editor starts it.
    const script = "const { main } = await import('./src/cli.ts'); await main(['lsp']);";
    child = spawn(process.execPath, ['--import=tsx/esm', '--input-type=module', '-e', script], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
    client = new ScriptedClient(child);
    const init = (await client.request('initialize', { processId: process.pid, rootUri: pathToFileURL(cfg.dir).href, capabilities: {} })) as {
      capabilities: Record<string, unknown>;
    };
    expect(init.capabilities).to.include({ definitionProvider: true, hoverProvider: true });
    client.notify('initialized', {});
  });

  after(async () => {
    await client.request('shutdown', null);
    client.notify('exit', null);
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    cfg.cleanup();
  });

  it('publishes infra validate diagnostics for an open document, and clears them once fixed', async () => {
    const published = client.next(publishedFor(uri));
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'infra', version: 1, text: main } });
    const first = (await published).params as { diagnostics: { message: string; severity: number; range: unknown; source: string }[] };
    expect(first.diagnostics).to.deep.equal([
      {
        severity: 1,
        source: 'infra',
        message: 'Reference to undeclared variable "serail"\nDeclare it with a variable block: variable "serail" { ... }.',
        range: { start: { line: 12, character: 11 }, end: { line: 12, character: 21 } },
      },
    ]);
    const fixed = client.next(publishedFor(uri));
    client.notify('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 12, character: 15 }, end: { line: 12, character: 21 } }, text: 'zone' }],
    });
    expect(((await fixed).params as { diagnostics: unknown[] }).diagnostics).to.deep.equal([]);
  });

  it('goes to the definition of var., local. and resource references', async () => {
    expect(await client.request('textDocument/definition', { textDocument: { uri }, position: { line: 12, character: 14 } })).to.deep.equal({
      uri,
      range: { start: { line: 0, character: 0 }, end: { line: 4, character: 1 } },
    });
    expect(await client.request('textDocument/definition', { textDocument: { uri }, position: { line: 11, character: 13 } })).to.deep.equal({
      uri,
      range: { start: { line: 7, character: 2 }, end: { line: 7, character: 7 } },
    });
    expect(await client.request('textDocument/definition', { textDocument: { uri }, position: { line: 5, character: 0 } })).to.equal(null);
  });

  it('hovers with the provider schema descriptions and a variable description', async () => {
    const attribute = (await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 13, character: 3 } })) as { contents: { value: string } };
    expect(attribute.contents.value).to.match(/^\*\*type\*\* \(required, forces replacement\)\n\nLinode type \(plan\), such as "g6-nanode-1"\./);
    const type = (await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 10, character: 14 } })) as { contents: { value: string } };
    expect(type.contents.value).to.equal('**linode_instance**\n\nA Linode instance (virtual machine), created from an image and ready when SSH accepts connections.');
    const variable = (await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 12, character: 14 } })) as { contents: { value: string } };
    expect(variable.contents.value).to.equal('**var.zone**\n\nThe zone the nameservers serve');
  });

  it('completes var. and local. names, resource types and a resource body\'s attributes', async () => {
    const edit = (version: number, line: number, text: string): void =>
      client.notify('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text }],
      });
    const labels = async (line: number, character: number): Promise<string[]> =>
      ((await client.request('textDocument/completion', { textDocument: { uri }, position: { line, character } })) as { label: string }[]).map((c) => c.label);
    edit(3, 16, '  tags = var.\n');
    expect(await labels(16, 13)).to.deep.equal(['zone']);
    edit(4, 16, '  x = local.\n');
    expect(await labels(16, 12)).to.deep.equal(['label']);
    edit(5, 0, 'resource "\n');
    expect(await labels(0, 10)).to.deep.equal(['ansible_playbook', 'dns_check', 'linode_instance', 'linode_service_address', 'local_host', 'local_service_address', 'nginx_upstream']);
    edit(6, 13, '  \n');
    expect(await labels(13, 2)).to.deep.equal(['label', 'region', 'type', 'image', 'tags', 'authorized_keys', 'root_pass', 'private_ip']);
  });
});
