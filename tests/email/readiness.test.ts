import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createReadinessRegistry } from '../../src/health/readiness.js';
import { createMailer, type Mailer } from '../../src/tools/email/mailer.js';
import { emailReadinessCheck } from '../../src/tools/email/readiness.js';
import { fastSmtp, silentLogger, smtpConfig } from './fixtures.js';
import { deadPort, startSilentServer, startSmtpServer } from './smtp-harness.js';

const open: Mailer[] = [];
function track(mailer: Mailer): Mailer {
  open.push(mailer);
  return mailer;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

describe('email readiness over SMTP', () => {
  it('is healthy when the server answers and non-critical when it does not', async () => {
    const smtp = await startSmtpServer();
    try {
      const up = emailReadinessCheck(
        track(createMailer({ config: smtpConfig(smtp.port), logger: silentLogger, options: fastSmtp })),
      );
      expect(up.name).toBe('email');
      expect(up.critical).toBe(false);
      expect(await up.run(new AbortController().signal)).toEqual({
        status: 'healthy',
        details: { transport: 'smtp' },
      });
    } finally {
      await smtp.close();
    }

    const down = emailReadinessCheck(
      track(createMailer({ config: smtpConfig(await deadPort()), logger: silentLogger, options: fastSmtp })),
    );
    const registry = createReadinessRegistry({ timeoutMs: 5000 });
    registry.register(down);
    const report = await registry.run();
    expect(report.status).toBe('degraded');
    expect(report.checks.email).toMatchObject({ status: 'unavailable', critical: false });
    expect(report.warnings).toEqual([
      'Mail server: The mail server is unreachable. E-mail tools will fail until it recovers.',
    ]);
  });

  it('reuses the verify() outcome for a minute and shares one attempt between concurrent probes', async () => {
    const smtp = await startSmtpServer();
    let clock = 1_000_000;
    const check = emailReadinessCheck(
      track(createMailer({ config: smtpConfig(smtp.port), logger: silentLogger, options: fastSmtp })),
      { now: () => clock },
    );
    const signal = new AbortController().signal;
    const [a, b] = await Promise.all([check.run(signal), check.run(signal)]);
    expect(a.status).toBe('healthy');
    expect(b.status).toBe('healthy');
    expect(smtp.connections()).toBe(1);

    await smtp.close();
    clock += 59_000;
    expect((await check.run(signal)).status).toBe('healthy');
    clock += 2_000;
    const after = await check.run(signal);
    expect(after.status).toBe('unavailable');
    expect(after.message).toContain('unreachable');
  });

  it('stops waiting when the probe is aborted, yet keeps the late result for the next probe', async () => {
    const hung = await startSilentServer();
    try {
      const check = emailReadinessCheck(
        track(
          createMailer({
            config: smtpConfig(hung.port),
            logger: silentLogger,
            options: { ...fastSmtp, greetingTimeoutMs: 300, connectionTimeoutMs: 300, socketTimeoutMs: 300 },
          }),
        ),
      );
      const controller = new AbortController();
      const pending = check.run(controller.signal);
      controller.abort();
      expect(await pending).toMatchObject({
        status: 'unavailable',
        message: expect.stringMatching(/in time/),
      });
      // The attempt itself ran on: the next probe joins it and gets its real outcome.
      expect(await check.run(new AbortController().signal)).toMatchObject({
        status: 'unavailable',
        message: expect.stringContaining('did not respond in time'),
      });
    } finally {
      await hung.close();
    }
  });
});

describe('email readiness with the file transport', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'email-ready-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('is healthy when the outbox can be created and written, leaving no probe file behind', async () => {
    const outbox = path.join(tmp, 'nested', 'outbox');
    const config = loadConfig({ EMAIL_OUTBOX_DIR: outbox });
    expect(config.emailTransport).toBe('file');
    const check = emailReadinessCheck(track(createMailer({ config, logger: silentLogger })));
    expect(await check.run(new AbortController().signal)).toEqual({
      status: 'healthy',
      details: { transport: 'file' },
    });
    expect(fs.readdirSync(outbox)).toEqual([]);
  });

  it('is unavailable when the outbox cannot be created', async () => {
    const blocker = path.join(tmp, 'not-a-folder');
    fs.writeFileSync(blocker, 'x');
    const config = loadConfig({ EMAIL_TRANSPORT: 'file', EMAIL_OUTBOX_DIR: path.join(blocker, 'outbox') });
    const check = emailReadinessCheck(track(createMailer({ config, logger: silentLogger })));
    const outcome = await check.run(new AbortController().signal);
    expect(outcome.status).toBe('unavailable');
    expect(outcome.message).toMatch(/^E-mail outbox: The outbox folder is not writable/);
  });
});
