import { dirname, sep } from "node:path";
import type { FsOps } from "./fs-ops.ts";
import { Mutex } from "./locks.ts";

/** True when `path` is `root` or lies beneath it (both absolute and normalised). */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Creates parent directories durably and removes them again once empty, without the two
 * racing: a `put` into `backups/x/` must never find `backups/x` removed between its mkdir and
 * the creation of its temp file by a concurrent `delete` of the last file in there.
 *
 * Writers announce the directory they write into (`beginWrite`) before creating it; creation
 * and removal both run under one mutex, and removal skips any directory that has an announced
 * writer at or below it.
 */
export class Directories {
  readonly #fs: FsOps;
  readonly #root: string;
  readonly #mutex = new Mutex();
  readonly #writers = new Map<string, number>();

  constructor(fs: FsOps, root: string) {
    this.#fs = fs;
    this.#root = root;
  }

  /** Announces a write into `dir`; call the returned function when the write is over. */
  beginWrite(dir: string): () => void {
    this.#writers.set(dir, (this.#writers.get(dir) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.#writers.get(dir) ?? 1) - 1;
      if (left === 0) this.#writers.delete(dir);
      else this.#writers.set(dir, left);
    };
  }

  /**
   * Makes sure `dir` exists. Every directory this creates is made durable by fsyncing the
   * directory it was created in, so a file acknowledged later cannot be lost with its parent.
   */
  ensure(dir: string): Promise<void> {
    if (dir === this.#root) return Promise.resolve();
    return this.#mutex.run(() => createDurably(this.#fs, dir, this.#root));
  }

  /**
   * Removes `dir` and then its parents while they are empty, stopping below the root.
   * Best effort: a directory still in use simply stays.
   */
  removeEmpty(dir: string): Promise<void> {
    return this.#mutex.run(async () => {
      let current = dir;
      while (current !== this.#root && isInside(this.#root, current) && !this.#hasWriterAtOrBelow(current)) {
        try {
          await this.#fs.rmdir(current);
        } catch {
          return; // ENOTEMPTY (the usual case), already gone, or unreadable: leave it
        }
        await this.#fs.syncDir(dirname(current)).catch(() => undefined);
        current = dirname(current);
      }
    });
  }

  #hasWriterAtOrBelow(dir: string): boolean {
    for (const writing of this.#writers.keys()) {
      if (isInside(dir, writing)) return true;
    }
    return false;
  }
}

/**
 * `mkdir -p dir`, then fsync the parent of each directory it created (outermost first), so
 * the new entries survive a machine crash. `root` bounds the walk.
 */
export async function createDurably(fs: FsOps, dir: string, root: string): Promise<void> {
  const first = await fs.mkdir(dir, { recursive: true });
  if (first === undefined) return;
  const created: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    created.unshift(current);
    if (current === first || current === root || dirname(current) === current) break;
  }
  for (const made of created) await fs.syncDir(dirname(made));
}
