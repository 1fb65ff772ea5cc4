/**
 * `infra lsp`: the language server protocol over stdio (vscode-languageserver), for
 * the `.infra` files of the directory of each open document. It publishes the diagnostics
 * `infra validate` gives as you type (200 ms after the last change), answers go to definition
 * for `var.`, `local.` and `TYPE.NAME` references, hover with the provider schemas'
 * descriptions, and completes resource types, attributes and `var.`/`local.` names.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  CompletionItemKind,
  DiagnosticSeverity,
  ProposedFeatures,
  TextDocumentSyncKind,
  TextDocuments,
  createConnection,
  type Diagnostic as LspDiagnostic,
} from 'vscode-languageserver/node';
import type { Diagnostic } from '../diagnostics.js';
import { completions, definition, hover, validateTexts } from './analysis.js';

/** Starts the server on this process's stdin/stdout; it runs until the client says exit. */
export function startServer(): void {
  const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  const documents = new TextDocuments(TextDocument);
  const timers = new Map<string, NodeJS.Timeout>();

  /** The directory's `.infra` files as the editor has them (open documents) or as saved. */
  const filesOf = (dir: string): Map<string, string> => {
    const files = new Map<string, string>();
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.infra'));
    } catch {
      names = [];
    }
    for (const n of names) {
      try {
        files.set(join(dir, n), readFileSync(join(dir, n), 'utf8'));
      } catch {
        // Gone since it was listed: nothing to read.
      }
    }
    for (const d of documents.all()) {
      if (!d.uri.startsWith('file:')) continue;
      const path = fileURLToPath(d.uri);
      if (dirname(path) === dir && path.endsWith('.infra')) files.set(path, d.getText());
    }
    return files;
  };

  const toLsp = (d: Diagnostic): LspDiagnostic => ({
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    message: d.detail ? `${d.summary}\n${d.detail}` : d.summary,
    source: 'infra',
    range: d.range
      ? { start: { line: d.range.start.line - 1, character: d.range.start.column - 1 }, end: { line: d.range.end.line - 1, character: d.range.end.column - 1 } }
      : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
  });

  const validate = async (uri: string): Promise<void> => {
    const dir = dirname(fileURLToPath(uri));
    const files = filesOf(dir);
    const byName = new Map([...files].map(([p, t]) => [basename(p), t]));
    const diags = await validateTexts(byName, dir);
    for (const path of files.keys()) {
      const mine = diags.filter((d) => d.range?.file === basename(path) || (d.range === undefined && pathToFileURL(path).href === uri));
      await connection.sendDiagnostics({ uri: pathToFileURL(path).href, diagnostics: mine.map(toLsp) });
    }
  };

  const schedule = (uri: string): void => {
    clearTimeout(timers.get(uri));
    timers.set(
      uri,
      setTimeout(() => {
        timers.delete(uri);
        void validate(uri);
      }, 200),
    );
  };

  const context = (uri: string): { files: Map<string, string>; file: string } => {
    const file = fileURLToPath(uri);
    return { files: filesOf(dirname(file)), file };
  };

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      definitionProvider: true,
      hoverProvider: true,
      completionProvider: { triggerCharacters: ['.', '"'] },
    },
    serverInfo: { name: 'infra' },
  }));
  documents.onDidOpen((e) => schedule(e.document.uri));
  documents.onDidChangeContent((e) => schedule(e.document.uri));
  connection.onDefinition((p) => {
    const { files, file } = context(p.textDocument.uri);
    const d = definition(files, file, p.position);
    return d === undefined ? null : { uri: pathToFileURL(d.span.file).href, range: { start: d.span.start, end: d.span.end } };
  });
  connection.onHover((p) => {
    const { files, file } = context(p.textDocument.uri);
    const text = hover(files, file, p.position);
    return text === undefined ? null : { contents: { kind: 'markdown', value: text } };
  });
  connection.onCompletion((p) => {
    const { files, file } = context(p.textDocument.uri);
    const kinds = { resourceType: CompletionItemKind.Class, attribute: CompletionItemKind.Property, variable: CompletionItemKind.Variable, local: CompletionItemKind.Variable };
    return completions(files, file, p.position).map((c) => ({ label: c.label, kind: kinds[c.kind], ...(c.detail ? { detail: c.detail } : {}) }));
  });
  documents.listen(connection);
  connection.listen();
}
