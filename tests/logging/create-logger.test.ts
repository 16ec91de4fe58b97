import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/create-logger.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'create-logger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (file: string, toFile: boolean) => ({
  LOG_LEVEL: 'info' as const,
  LOG_TO_FILE: toFile,
  LOG_FILE_PATH: file,
  LOG_MAX_SIZE_MB: 1,
  LOG_BACKUP_COUNT: 2,
  LOG_REDACT_PII: true,
});

const flushed = (logger: Logger) =>
  new Promise<void>((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())));

describe('createLogger', () => {
  it('writes JSON lines to LOG_FILE_PATH (folder created) at the configured level, redacted and with the mixin', async () => {
    const file = path.join(dir, 'nested', 'app.log');
    const logger = createLogger(config(file, true), {
      isTty: false,
      secrets: ['configured-secret-value'],
      mixin: () => ({ trace_id: 'trace-1' }),
    });
    logger.debug('below the level');
    logger.info(
      {
        customer: 'jane.doe@example.com',
        note: 'token configured-secret-value',
        req: { headers: { authorization: 'Bearer abc' } },
      },
      'order looked up',
    );
    await flushed(logger);

    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({
      level: 30,
      msg: 'order looked up',
      service: 'msev15e2e-ts',
      trace_id: 'trace-1',
    });
    expect(line.req.headers.authorization).toBe('[REDACTED]');
    expect(typeof line.time).toBe('string');
    const text = JSON.stringify(line);
    expect(text).not.toContain('jane.doe@example.com');
    expect(text).not.toContain('configured-secret-value');
  });

  it('writes no file when LOG_TO_FILE is off, and logs to the console pretty on a TTY', async () => {
    const file = path.join(dir, 'off', 'app.log');
    for (const isTty of [false, true]) {
      const logger = createLogger(config(file, false), { isTty });
      expect(logger.level).toBe('info');
      expect(logger.isLevelEnabled('debug')).toBe(false);
      await flushed(logger);
    }
    expect(() => readFileSync(file)).toThrow(/ENOENT/);
  });
});
