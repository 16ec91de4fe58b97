import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Sortable and valid on every file system (no colons). */
function fileStamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

function isMissingDir(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * A folder of `.eml` files. Each message is written under a hidden temporary name and renamed into
 * place, so a reader scanning for `*.eml` never sees half a message.
 */
export function createOutbox(dir: string) {
  const root = path.resolve(dir);
  let ready: Promise<void> | undefined;
  const pending = new Set<Promise<unknown>>();

  function ensureDir(): Promise<void> {
    ready ??= mkdir(root, { recursive: true }).then(
      () => undefined,
      (err: unknown) => {
        ready = undefined;
        throw err;
      },
    );
    return ready;
  }

  async function writeAtomically(name: string, data: Buffer | string, signal?: AbortSignal): Promise<string> {
    const target = path.join(root, name);
    const temp = path.join(root, `.${name}.${randomUUID()}.tmp`);
    try {
      await writeFile(temp, data, { flag: 'wx', signal });
      await rename(temp, target);
      return target;
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  async function write(raw: Buffer, id: string, signal?: AbortSignal): Promise<string> {
    const safeId = id.replace(/[^A-Za-z0-9-]/g, '').slice(0, 64) || randomUUID();
    const name = `${fileStamp(new Date())}-${safeId}.eml`;
    await ensureDir();
    try {
      return await writeAtomically(name, raw, signal);
    } catch (err) {
      // Someone removed the folder while the service runs: recreate it once.
      if (!isMissingDir(err)) throw err;
      ready = undefined;
      await ensureDir();
      return await writeAtomically(name, raw, signal);
    }
  }

  return {
    dir: root,
    write(raw: Buffer, id: string, signal?: AbortSignal): Promise<string> {
      const job = write(raw, id, signal);
      pending.add(job);
      const forget = () => pending.delete(job);
      job.then(forget, forget);
      return job;
    },
    /** Proves the folder can take a file by writing and removing one. */
    async checkWritable(signal?: AbortSignal): Promise<void> {
      await ensureDir();
      const probe = path.join(root, `.probe-${randomUUID()}.tmp`);
      try {
        await writeFile(probe, 'ok', { flag: 'wx', signal });
      } catch (err) {
        if (!isMissingDir(err)) throw err;
        ready = undefined;
        await ensureDir();
        await writeFile(probe, 'ok', { flag: 'wx', signal });
      } finally {
        await rm(probe, { force: true }).catch(() => undefined);
      }
    },
    /** Waits for the writes under way, so a shutdown does not cut a message in half. */
    async drain(): Promise<void> {
      await Promise.allSettled([...pending]);
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
