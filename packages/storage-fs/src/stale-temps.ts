import { join } from "node:path";
import { isMissing } from "./fs-errors.ts";
import type { FsOps } from "./fs-ops.ts";
import { isStaleTemp } from "./temp-files.ts";

/**
 * Removes the temp files that crashed writers left anywhere under `root` (see
 * `isStaleTemp`). Only regular files whose names match our temp-name pattern are touched;
 * symlinks are neither followed nor removed. Resolves to the number of files removed.
 *
 * Call it only while holding the writer lock (`FsStorage.open` with `lock: true`): otherwise
 * a live writer on another host (whose pid means nothing here) may own the files.
 */
export async function removeStaleTemps(fs: FsOps, root: string): Promise<number> {
  let removed = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries: Awaited<ReturnType<FsOps["readdir"]>>;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
      } else if (entry.isFile() && isStaleTemp(path, entry.name)) {
        try {
          await fs.unlink(path);
          removed++;
        } catch (err) {
          if (!isMissing(err)) throw err;
        }
      }
    }
  };
  await walk(root);
  return removed;
}
