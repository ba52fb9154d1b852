/**
 * The lock of an ensemble store: a file beside it (ensemble.sqlite.lock) holding the pid of the run that writes it,
 * made exclusively. A second run on the same --out is refused up front, instead of redoing the first one's draws and
 * dying on a duplicate draw. The run releases it on every way out (end, error, Ctrl-C); one left by a run that was
 * killed names a process that is gone, and is taken over. On Linux the lock also names the boot and the process's
 * start time: after a reboot, or once the pid is another program's, a pid that is alive is no longer the run's.
 */
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { InputError } from '../model/document.ts';

export const LOCK_SUFFIX = '.lock';

/** How long a lock file may stay empty (made, its pid not yet written) before it counts as left by a dead run. */
const EMPTY_LOCK_GRACE_MS = 10_000;

/**
 * The locks this process holds: a lock with this process's pid and not among them was left by an earlier process
 * that had the same pid (a container restarted), not by a run going on here.
 */
const held = new Set<string>();

/** Whether the run holding `lock` with process `pid` is going on (on this machine); one of another user's is too. */
function alive(pid: number, lock: string): boolean {
  if (pid === process.pid) return held.has(lock);
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This boot's id (Linux), or undefined elsewhere. */
function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** When process `pid` started, in clock ticks since boot (Linux: /proc/PID/stat's 22nd field), or undefined. */
function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command (2nd field) is in parentheses and may hold spaces: count the fields after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] || undefined;
  } catch {
    return undefined;
  }
}

/** What a lock says of the run holding it: its pid and, where the system tells, its boot and start time. */
function lockText(): string {
  const boot = bootId();
  const start = startTicks(process.pid);
  return boot && start ? `${process.pid} ${boot} ${start}` : String(process.pid);
}

/** The pid a lock's text names (NaN where none is written yet). */
function pidOf(text: string): number {
  return Number(text.trim().split(/\s+/)[0]);
}

function errorCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** The lock's text, or undefined once it is gone. */
function readLock(lock: string): string | undefined {
  try {
    return readFileSync(lock, 'utf8');
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Whether a lock's text says it was left by a run that is gone (a dead pid, or empty for longer than a write);
 * `at` is where the lock file is now (moved aside while it is taken over).
 */
function stale(text: string, lock: string, at = lock): boolean {
  const [, boot, start] = text.trim().split(/\s+/);
  const pid = pidOf(text);
  if (Number.isSafeInteger(pid) && pid > 0) {
    // Written on another boot, or by a process that started at another time: that run is gone, whatever has its
    // pid now.
    if (boot !== undefined && bootId() !== undefined && boot !== bootId()) return true;
    if (start !== undefined && pid !== process.pid) {
      const now = startTicks(pid);
      if (now !== undefined && now !== start) return true;
    }
    return !alive(pid, lock);
  }
  try {
    return Date.now() - statSync(at).mtimeMs > EMPTY_LOCK_GRACE_MS;
  } catch {
    return false;
  }
}

/**
 * Removes a lock found stale. It is moved aside first and looked at again, so that of two runs taking over the same
 * lock at once, the second does not remove the lock the first has just made: that one is put back.
 */
function takeOver(lock: string): void {
  const aside = `${lock}.stale-${process.pid}`;
  try {
    renameSync(lock, aside);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return; // taken over by another run meanwhile
    throw e;
  }
  const text = readLock(aside);
  if (text !== undefined && !stale(text, lock, aside)) {
    try {
      writeFileSync(lock, text, { flag: 'wx' });
    } catch (e) {
      if (errorCode(e) !== 'EEXIST') throw e;
    }
  }
  rmSync(aside, { force: true });
}

/**
 * Locks the store `file` for this process, or refuses (naming the process that holds it). Returns the release,
 * which removes the lock if it is still this process's; calling it again does nothing.
 */
export function lockStore(file: string): () => void {
  const lock = `${file}${LOCK_SUFFIX}`;
  const mine = lockText();
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      writeFileSync(lock, mine, { flag: 'wx' });
      held.add(lock);
      return () => {
        if (!held.delete(lock)) return;
        if (readLock(lock) === mine) rmSync(lock, { force: true });
      };
    } catch (e) {
      if (errorCode(e) !== 'EEXIST') throw e;
    }
    const text = readLock(lock);
    if (text === undefined) continue; // released meanwhile
    if (!stale(text, lock)) {
      const pid = pidOf(text);
      throw new InputError(
        `${file} is in use by another run (${pid > 0 ? `process ${pid}` : 'one starting now'}); wait for it to end or choose another --out`,
      );
    }
    takeOver(lock);
  }
  throw new InputError(`${file}: could not lock it (other runs kept taking its lock ${lock}); try again`);
}
