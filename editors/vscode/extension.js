// Starts `infra lsp` (the language server, docs/cli.md) for .infra files. The command is the
// `infra.path` setting (default: `infra` on PATH); without it the grammar still highlights.
'use strict';
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

/** @type {LanguageClient | undefined} */
let client;

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  const command = vscode.workspace.getConfiguration('infra').get('path', 'infra');
  client = new LanguageClient(
    'infra',
    'infra language server',
    { command, args: ['lsp'] },
    { documentSelector: [{ scheme: 'file', language: 'infra' }] },
  );
  context.subscriptions.push(client);
  try {
    await client.start();
  } catch (e) {
    void vscode.window.showWarningMessage(`infra: could not start "${command} lsp" (${e instanceof Error ? e.message : String(e)}); set infra.path.`);
  }
}

async function deactivate() {
  if (client !== undefined) await client.stop();
}

module.exports = { activate, deactivate };
