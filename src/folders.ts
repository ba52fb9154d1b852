/**
 * Output folders given by users (--out): made if missing, with an error that says which path is in the way when a
 * file stands where the folder or one of its parents should be, instead of the system's EEXIST or ENOTDIR.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** An output folder that cannot be made or used; the message names the path in the way. */
export class FolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FolderError';
  }
}

/** The nearest of `dir` and its ancestors that exists and is not a folder, if any. */
function fileInTheWay(dir: string): string | undefined {
  for (let at = dir; ; at = path.dirname(at)) {
    if (existsSync(at)) return statSync(at).isDirectory() ? undefined : at;
    if (path.dirname(at) === at) return undefined;
  }
}

/**
 * Makes the folder `dir` (and its parents) unless it exists; `purpose` says what it is for, for the error. The
 * missing folders are made one by one, from the nearest that exists: Node's recursive mkdirSync never returns where
 * the system answers ENOENT under a folder that is there (Linux's /proc), as it makes the parent again and retries.
 */
export function ensureFolder(dir: string, purpose: string): string {
  const target = checkFolderPath(dir, purpose);
  const missing: string[] = [];
  for (let at = target; !existsSync(at) && path.dirname(at) !== at; at = path.dirname(at)) missing.unshift(at);
  for (const at of missing) {
    try {
      mkdirSync(at);
    } catch (e) {
      // Made meanwhile by another process: as good.
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && existsSync(at) && statSync(at).isDirectory()) continue;
      throw new FolderError(`${target}: cannot make the folder for ${purpose}: ${(e as Error).message}`);
    }
  }
  return target;
}

/** Throws where a file stands at `dir` or at one of its ancestors; returns the absolute path. */
export function checkFolderPath(dir: string, purpose: string): string {
  const target = path.resolve(dir);
  const blocker = fileInTheWay(target);
  if (blocker !== undefined) {
    throw new FolderError(
      blocker === target
        ? `${target} exists and is not a folder: cannot write ${purpose} there`
        : `${target}: cannot make the folder for ${purpose}: ${blocker} is a file`,
    );
  }
  return target;
}
