/**
 * The `checksum` of an `ansible_playbook`: what decides whether the playbook runs again. It
 * covers every file the playbook can use and the variables, and nothing else, so it changes
 * exactly when a run could do something different.
 *
 * Which files: the playbook itself; the other playbooks and templates at the top of its
 * directory (`*.yml`, `*.yaml`, `*.j2`: imports and relative templates); and the whole of the
 * Ansible content folders beside it (`CONTENT_DIRS`). Not the rest of the directory: when a
 * playbook sits in the configuration directory, the state file and `.infra/` sit there too, and
 * they change on every apply. Names starting with a dot and Python caches are skipped.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { canonicalJson, type Json } from '../../evaluate/value.js';

/** Folders next to a playbook whose whole content counts. */
export const CONTENT_DIRS: readonly string[] = [
  'roles',
  'tasks',
  'handlers',
  'templates',
  'files',
  'vars',
  'defaults',
  'meta',
  'group_vars',
  'host_vars',
  'library',
  'module_utils',
  'plugins',
  'action_plugins',
  'callback_plugins',
  'filter_plugins',
  'lookup_plugins',
  'collections',
];

/** Files at the top of the playbook's directory that count, by extension. */
export const TOP_LEVEL_EXTENSIONS: readonly string[] = ['.yml', '.yaml', '.j2'];

function skipped(name: string): boolean {
  return name.startsWith('.') || name === '__pycache__' || name.endsWith('.pyc') || name.endsWith('.retry');
}

/**
 * The files the checksum covers, as paths relative to the playbook's directory with `/`
 * separators, sorted. Follows symbolic links (to a depth of 32). Throws when the playbook cannot
 * be read; callers check that first.
 */
export function playbookFiles(playbookPath: string): string[] {
  const root = dirname(playbookPath);
  const files = new Set<string>([basename(playbookPath)]);
  for (const name of readdirSync(root)) {
    if (skipped(name) || !TOP_LEVEL_EXTENSIONS.includes(extname(name))) continue;
    if (statSync(join(root, name), { throwIfNoEntry: false })?.isFile()) files.add(name);
  }
  const walk = (rel: string, depth: number): void => {
    if (depth > 32) return;
    for (const name of readdirSync(join(root, rel))) {
      if (skipped(name)) continue;
      const childRel = `${rel}/${name}`;
      const st = statSync(join(root, childRel), { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(childRel, depth + 1);
      else if (st?.isFile()) files.add(childRel);
    }
  };
  for (const dir of CONTENT_DIRS) {
    if (statSync(join(root, dir), { throwIfNoEntry: false })?.isDirectory()) walk(dir, 1);
  }
  return [...files].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `sha256:<hex>` over the playbook's name, the files `playbookFiles` lists (name and content) and `vars`. */
export function playbookChecksum(playbookPath: string, vars: Json): string {
  const hash = createHash('sha256');
  const root = dirname(playbookPath);
  hash.update(`infra ansible_playbook checksum 1\0playbook\0${basename(playbookPath)}\0`);
  for (const rel of playbookFiles(playbookPath)) {
    const content = readFileSync(join(root, rel));
    hash.update(`file\0${rel}\0${content.length}\0`);
    hash.update(content);
  }
  hash.update(`vars\0${canonicalJson(vars)}`);
  return `sha256:${hash.digest('hex')}`;
}
