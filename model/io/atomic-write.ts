// Crash-safe file replacement: readers see the old file or the new one, never a torn write.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

/**
 * Writes `bytes` to `path` atomically: a temporary file beside it is written and fsynced, then renamed
 * over `path` (rename is atomic within a directory), then the directory is fsynced so the rename survives
 * a power loss. On any failure the temporary file is removed and `path` is left as it was.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    for (let written = 0; written < bytes.length; ) {
      written += writeSync(fd, bytes, written, bytes.length - written);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try { closeSync(fd); } catch { /* already failing; report the first error */ }
    }
    try { unlinkSync(tmp); } catch { /* it may never have been created */ }
    throw err;
  }
  fsyncDirectory(dirname(path));
}

function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return; // some platforms (Windows) cannot open a directory; the rename is still atomic there
  }
  try {
    fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR') throw err;
  } finally {
    closeSync(fd);
  }
}
