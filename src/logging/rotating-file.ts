import { mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';

/**
 * A size-rotated log file in the manner of Python's RotatingFileHandler, which the original design
 * used: the live file always has the configured name (`logs/app.log`, so `tail -F logs/app.log`
 * follows it), and a rotation renames it down a chain of numbered backups beside it
 * (`app.1.log` is the newest, `app.<count>.log` the oldest; the one past the count is deleted).
 *
 * pino-roll cannot do this: it numbers every file, the live one included, and only links
 * `current.log` to the newest.
 *
 * Writes go through pino's own asynchronous destination (sonic-boom). Each file is opened
 * synchronously, so a rotation renames a file whose descriptor is already bound: lines still
 * buffered for the old file land in the renamed backup, never in the new live file.
 */

export interface RotatingFileOptions {
  /** The live file. Its folder is created when missing. */
  file: string;
  /** Rotate before a line would take the live file past this size. */
  maxBytes: number;
  /** Rotated files kept beside the live one; 0 starts the live file afresh instead. */
  backupCount: number;
  /** Told about a failed write or rotation; logging carries on (default: one line on stderr). */
  onError?: (err: Error) => void;
}

export interface RotatingFile {
  write(line: string): void;
  flush(cb?: (err?: Error) => void): void;
  flushSync(): void;
  /** Writes what is buffered, then closes the file. */
  end(): Promise<void>;
}

/** `logs/app.log`, 2 → `logs/app.2.log`; a name without an extension gets the number at its end. */
export function backupName(file: string, n: number): string {
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}.${n}${ext}`;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export function createRotatingFile(options: RotatingFileOptions): RotatingFile {
  const file = path.resolve(options.file);
  const { maxBytes, backupCount } = options;
  let reported = false;
  const onError =
    options.onError ??
    ((err: Error) => {
      // Once: a full disk must not turn every log line into a second line on stderr.
      if (reported) return;
      reported = true;
      process.stderr.write(`Log file ${file}: ${err.message} (further errors are not reported)\n`);
    });

  type Destination = ReturnType<typeof pino.destination>;
  /** Files rotated away whose last buffered lines are still being written. */
  const closing = new Set<Promise<void>>();
  /** Callbacks waiting for the live file's writes to reach the disk. */
  let waiting: Array<(err?: Error) => void> = [];
  let busy = false;

  function settle(err?: Error): void {
    busy = false;
    const callbacks = waiting;
    waiting = [];
    for (const cb of callbacks) cb(err);
  }

  function open(): Destination {
    mkdirSync(path.dirname(file), { recursive: true });
    const opened = pino.destination({ dest: openSync(file, 'a'), sync: false });
    opened.on('error', (err: Error) => {
      if (opened === destination) settle(err);
      onError(err);
    });
    // sonic-boom says `drain` each time everything handed to it has been written.
    opened.on('drain', () => {
      if (opened === destination) settle();
    });
    return opened;
  }

  function close(target: Destination): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      target.once('close', () => resolve());
      target.once('error', () => resolve());
      target.end();
    });
    closing.add(closed);
    void closed.then(() => closing.delete(closed));
    return closed;
  }

  let destination: Destination = open();
  let size = sizeOf(file);

  function rotate(): void {
    const previous = destination;
    try {
      if (backupCount === 0) {
        rmSync(file, { force: true });
      } else {
        rmSync(backupName(file, backupCount), { force: true });
        for (let n = backupCount - 1; n >= 1; n--) {
          const from = backupName(file, n);
          if (existsAsFile(from)) renameSync(from, backupName(file, n + 1));
        }
        renameSync(file, backupName(file, 1));
      }
    } catch (err) {
      onError(err as Error);
    }
    try {
      destination = open();
      size = 0;
    } catch (err) {
      // Keep writing where we were rather than lose the lines.
      onError(err as Error);
      return;
    }
    // The old descriptor still points at the renamed backup: its buffered lines end up there.
    void close(previous);
    settle();
  }

  return {
    write(line: string): void {
      const bytes = Buffer.byteLength(line);
      if (size > 0 && size + bytes > maxBytes) rotate();
      size += bytes;
      busy = true;
      destination.write(line);
    },
    flush(cb?: (err?: Error) => void): void {
      const done = cb ?? (() => {});
      const previous = [...closing];
      const afterLive = () => void Promise.all(previous).then(() => done());
      if (busy) waiting.push(afterLive);
      else afterLive();
    },
    flushSync(): void {
      try {
        destination.flushSync();
      } catch {
        // Not open yet or already closed: nothing buffered to write.
      }
    },
    async end(): Promise<void> {
      await close(destination);
      settle();
      await Promise.all([...closing]);
    },
  };
}

function existsAsFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
