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
import { createHash, type Hash } from 'node:crypto';
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

/** The file-system calls the checksum makes (following symbolic links); `NODE_FILES` does them. */
export interface PlaybookFileSystem {
  readdir(path: string): string[];
  /** undefined when nothing is there. */
  stat(path: string): { isFile(): boolean; isDirectory(): boolean } | undefined;
  readFile(path: string): Buffer;
}

/** node:fs. */
export const NODE_FILES: PlaybookFileSystem = {
  readdir: (path) => readdirSync(path),
  stat: (path) => statSync(path, { throwIfNoEntry: false }),
  readFile: (path) => readFileSync(path),
};

function skipped(name: string): boolean {
  return name.startsWith('.') || name === '__pycache__' || name.endsWith('.pyc') || name.endsWith('.retry');
}

/**
 * The files the checksum covers, as paths relative to the playbook's directory with `/`
 * separators, sorted. Follows symbolic links (to a depth of 32). Throws when the playbook cannot
 * be read; callers check that first.
 */
export function playbookFiles(playbookPath: string, fs: PlaybookFileSystem = NODE_FILES): string[] {
  const root = dirname(playbookPath);
  const files = new Set<string>([basename(playbookPath)]);
  for (const name of fs.readdir(root)) {
    if (skipped(name) || !TOP_LEVEL_EXTENSIONS.includes(extname(name))) continue;
    if (fs.stat(join(root, name))?.isFile()) files.add(name);
  }
  const walk = (rel: string, depth: number): void => {
    if (depth > 32) return;
    for (const name of fs.readdir(join(root, rel))) {
      if (skipped(name)) continue;
      const childRel = `${rel}/${name}`;
      const st = fs.stat(join(root, childRel));
      if (st?.isDirectory()) walk(childRel, depth + 1);
      else if (st?.isFile()) files.add(childRel);
    }
  };
  for (const dir of CONTENT_DIRS) {
    if (fs.stat(join(root, dir))?.isDirectory()) walk(dir, 1);
  }
  return [...files].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Playbooks as one plan sees them. Each playbook's files are listed and read once, at the first
 * question about it, and remembered for as long as this object lives: a plan of 5,000 instances
 * of one playbook reads its files once, not 5,000 times. Files changed after that first read are
 * not seen, so make one per plan (or per question) and drop it with the plan.
 */
export class PlaybookReader {
  private readonly isFileMemo = new Map<string, boolean>();
  /** Per playbook path: the hash over everything but the variables, to be copied. */
  private readonly filesHash = new Map<string, Hash>();

  constructor(private readonly fs: PlaybookFileSystem = NODE_FILES) {}

  /** Whether `path` is a file (a playbook that exists). */
  isFile(path: string): boolean {
    let known = this.isFileMemo.get(path);
    if (known === undefined) {
      known = this.fs.stat(path)?.isFile() ?? false;
      this.isFileMemo.set(path, known);
    }
    return known;
  }

  /**
   * `sha256:<hex>` over the playbook's name, the files `playbookFiles` lists (name and content)
   * and `vars`. Throws when the playbook cannot be read; check `isFile` first.
   */
  checksum(playbookPath: string, vars: Json): string {
    let files = this.filesHash.get(playbookPath);
    if (!files) {
      files = createHash('sha256');
      const root = dirname(playbookPath);
      files.update(`infra ansible_playbook checksum 1\0playbook\0${basename(playbookPath)}\0`);
      for (const rel of playbookFiles(playbookPath, this.fs)) {
        const content = this.fs.readFile(join(root, rel));
        files.update(`file\0${rel}\0${content.length}\0`);
        files.update(content);
      }
      this.filesHash.set(playbookPath, files);
    }
    return `sha256:${files.copy().update(`vars\0${canonicalJson(vars)}`).digest('hex')}`;
  }
}

/** `PlaybookReader.checksum` with the files read afresh. */
export function playbookChecksum(playbookPath: string, vars: Json): string {
  return new PlaybookReader().checksum(playbookPath, vars);
}
