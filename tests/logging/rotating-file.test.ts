import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupName, createRotatingFile } from '../../src/logging/rotating-file.js';

// The log file as an operator meets it: the configured name is the live file, rotated files lie
// beside it, numbered, never more than LOG_BACKUP_COUNT of them.

let tmp: string;
let caseNo = 0;
const freshDir = () => path.join(tmp, `case-${++caseNo}`);

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rotating-file-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** A 100-byte JSON line numbered `n`. */
const line = (n: number) => {
  const head = `{"n":${n},"pad":"`;
  const tail = '"}\n';
  return head + 'x'.repeat(100 - head.length - tail.length) + tail;
};
const numbersIn = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { n: number }).n);

describe('rotating log file', () => {
  it('names backups with the number before the extension', () => {
    expect(backupName('/var/log/app.log', 1)).toBe('/var/log/app.1.log');
    expect(backupName('logs/service.json', 12)).toBe('logs/service.12.json');
    expect(backupName('logs/app', 3)).toBe('logs/app.3');
  });

  it('writes the live file under its own name and rotates into numbered backups beside it', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'app.log');
    const log = createRotatingFile({ file, maxBytes: 1000, backupCount: 3 });
    for (let n = 1; n <= 35; n++) log.write(line(n));
    await log.end();
    expect(readdirSync(dir).sort()).toEqual(['app.1.log', 'app.2.log', 'app.3.log', 'app.log']);
    // Ten 100-byte lines fill a file; the oldest backup past the count is gone.
    expect(numbersIn(file)).toEqual([31, 32, 33, 34, 35]);
    expect(numbersIn(path.join(dir, 'app.1.log'))).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    expect(numbersIn(path.join(dir, 'app.3.log'))[0]).toBe(1);
    for (const name of readdirSync(dir))
      expect(statSync(path.join(dir, name)).size).toBeLessThanOrEqual(1000);
  });

  it('keeps at most LOG_BACKUP_COUNT rotated files, and with 0 starts the live file afresh', async () => {
    const dir = freshDir();
    const log = createRotatingFile({ file: path.join(dir, 'app.log'), maxBytes: 1000, backupCount: 2 });
    for (let n = 1; n <= 200; n++) log.write(line(n));
    await log.end();
    expect(readdirSync(dir).sort()).toEqual(['app.1.log', 'app.2.log', 'app.log']);
    expect(numbersIn(path.join(dir, 'app.2.log'))).toEqual([
      171, 172, 173, 174, 175, 176, 177, 178, 179, 180,
    ]);

    const none = freshDir();
    const single = createRotatingFile({ file: path.join(none, 'app.log'), maxBytes: 1000, backupCount: 0 });
    for (let n = 1; n <= 25; n++) single.write(line(n));
    await single.end();
    expect(readdirSync(none)).toEqual(['app.log']);
    expect(numbersIn(path.join(none, 'app.log'))).toEqual([21, 22, 23, 24, 25]);
  });

  it('appends to an existing live file and counts its size', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'app.log');
    const first = createRotatingFile({ file, maxBytes: 1000, backupCount: 1 });
    for (let n = 1; n <= 8; n++) first.write(line(n));
    await first.end();
    const second = createRotatingFile({ file, maxBytes: 1000, backupCount: 1 });
    for (let n = 9; n <= 12; n++) second.write(line(n));
    await second.end();
    expect(numbersIn(path.join(dir, 'app.1.log'))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(numbersIn(file)).toEqual([11, 12]);
  });

  it('creates a missing folder, every time', async () => {
    for (let i = 0; i < 20; i++) {
      const file = path.join(freshDir(), 'deeper', 'still', 'app.log');
      const logger = pino({}, createRotatingFile({ file, maxBytes: 10_000, backupCount: 2 }));
      logger.info({ attempt: i }, 'started');
      await new Promise<void>((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())));
      expect(readFileSync(file, 'utf8')).toContain('"attempt":');
    }
  });

  it('reports a failed rotation and keeps logging', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'app.log');
    const errors: Error[] = [];
    const log = createRotatingFile({ file, maxBytes: 1000, backupCount: 1, onError: (e) => errors.push(e) });
    // A folder where the backup must go: the rotation cannot rename the live file.
    mkdirSync(path.join(dir, 'app.1.log', 'blocker'), { recursive: true });
    for (let n = 1; n <= 15; n++) log.write(line(n));
    await log.end();
    expect(errors.length).toBeGreaterThan(0);
    expect(numbersIn(file)).toContain(15);
  });
});

describe('following the log with tail -F', () => {
  const hasTail = spawnSync('tail', ['--version'], { stdio: 'ignore' }).status === 0;
  let tail: ChildProcess | undefined;

  afterAll(() => {
    tail?.kill();
  });

  it.skipIf(!hasTail)('sees the lines written after a rotation', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'app.log');
    const log = createRotatingFile({ file, maxBytes: 1000, backupCount: 2 });
    log.write(line(1));
    await new Promise<void>((resolve) => log.flush(() => resolve()));
    tail = spawn('tail', ['-F', '-n', '+1', '-s', '0.1', file], { stdio: ['ignore', 'pipe', 'ignore'] });
    // One listener for the whole run: a flowing stream drops what arrives while nobody listens.
    let seen = '';
    let wake = () => {};
    tail.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      wake();
    });
    const saw = async (n: number) => {
      while (!seen.includes(`{"n":${n},`)) await new Promise<void>((resolve) => (wake = resolve));
    };
    await saw(1);
    // A line that arrives while tail is following: from here on it watches the name.
    log.write(line(2));
    await saw(2);
    // Past the first rotation: the lines of the new live file reach the same tail.
    for (let n = 3; n <= 15; n++) log.write(line(n));
    await new Promise<void>((resolve) => log.flush(() => resolve()));
    await saw(15);
    await log.end();
    expect(readdirSync(dir).sort()).toEqual(['app.1.log', 'app.log']);
  });
});
