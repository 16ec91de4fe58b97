import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { baseLoggerOptions } from '../../src/logging/create-logger.js';
import { ibanValid, isCardNumber, luhnValid, maskPii } from '../../src/logging/pii.js';
import { createLineRedactor } from '../../src/logging/redact-line.js';

describe('maskPii: what is masked', () => {
  it.each([
    ['mail ada.lovelace+orders@example.co.uk please', 'mail [email] please'],
    ['from ADA@EXAMPLE.COM.', 'from [email].'],
    ['card 4111 1111 1111 1111 ok', 'card [card] ok'],
    ['card 4111-1111-1111-1111', 'card [card]'],
    ['pay with 5555555555554444', 'pay with [card]'],
    ['amex 378282246310005', 'amex [card]'],
    ['IBAN DE89 3704 0044 0532 0130 00 thanks', 'IBAN [iban] thanks'],
    ['iban GB82WEST12345698765432', 'iban [iban]'],
    ['call +49 170 1234567', 'call [phone]'],
    ['call +1 (555) 123-4567 now', 'call [phone] now'],
    ['ring 0170 1234567', 'ring [phone]'],
    ['ring (555) 123-4567', 'ring [phone]'],
    ['ring 555-123-4567', 'ring [phone]'],
    ['ring 555.123.4567', 'ring [phone]'],
    ['tel:+442071234567', 'tel:[phone]'],
  ])('%s', (input, expected) => {
    expect(maskPii(input)).toBe(expected);
  });
});

describe('maskPii: what is left alone', () => {
  it.each([
    'Order 3 costs 129.99 EUR (12999 cents), quantity 2',
    'order_id 1234567 and order 42',
    '2026-12-03T11:40:55.123Z',
    'at 03-12-2026 11:40',
    'request 6f1c2a4e-6a0f-4c1e-9d7e-1b2f3c4d5e6f',
    'uuid 12345678-1234-4123-8123-123456789012',
    'took 1733225655123 ms since epoch',
    'card-like but not Luhn: 4111 1111 1111 1112',
    'version 1.20.3, ip 10.0.0.1, port 9080, pid 41234',
    'duration 0.25 s, retry in 30000 ms',
    'user@localhost has no domain',
    'SKU-ENGINE-1 x 2',
  ])('%s', (input) => {
    expect(maskPii(input)).toBe(input);
  });
});

describe('checksums', () => {
  it('Luhn, card issuer digit and IBAN mod-97', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(isCardNumber('4012888888881881')).toBe(true);
    // Luhn-valid, but 1 is not a payment-card issuer digit (epoch timestamps start with 1).
    expect(isCardNumber('1000000000009')).toBe(false);
    expect(ibanValid('FR14 2004 1010 0505 0001 3M02 606')).toBe(true);
    expect(ibanValid('FR14 2004 1010 0505 0001 3M02 607')).toBe(false);
  });
});

describe('the log line redactor', () => {
  const redact = createLineRedactor({ pii: true, secrets: ['sk-configured-secret-value', 'hunter2-pass'] });

  it('keeps the line valid JSON, masks inside strings and long card-like numbers', () => {
    const line = `${JSON.stringify({
      level: 20,
      time: '2026-12-03T11:40:55.123Z',
      msg: 'customer said: "mail me at\nada@example.com"\ncall +49 170 1234567',
      card: 4111111111111111,
      order_id: 3,
      amount_cents: 129900,
      err: {
        message: 'refused',
        stack: 'Error: key sk-configured-secret-value rejected\n    at x (file.ts:10:5)',
      },
    })}\n`;
    const out = redact(line);
    const parsed = JSON.parse(out) as Record<string, unknown>;
    expect(out).not.toContain('ada@example.com');
    expect(out).not.toContain('1234567');
    expect(out).not.toContain('4111111111111111');
    expect(out).not.toContain('sk-configured-secret-value');
    expect(parsed).toMatchObject({
      time: '2026-12-03T11:40:55.123Z',
      order_id: 3,
      amount_cents: 129900,
      card: '[card]',
    });
    expect(parsed.msg).toBe('customer said: "mail me at\n[email]"\ncall [phone]');
    expect(out.endsWith('\n')).toBe(true);
  });

  it('cuts configured secrets and key-shaped tokens even with PII masking off', () => {
    const plain = createLineRedactor({ pii: false, secrets: ['hunter2-pass'] });
    const out = plain(
      JSON.stringify({
        msg: 'pw hunter2-pass, Bearer abcdefghijklmnop, sk-proj-abcdefghijklmnopqrstu, ada@example.com',
      }),
    );
    expect(out).not.toContain('hunter2-pass');
    expect(out).not.toContain('abcdefghijklmnop');
    expect(out).toContain('Bearer [REDACTED]');
    expect(out).toContain('ada@example.com');
  });

  it('is what pino writes, at every level, for messages, bindings and error stacks', () => {
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    const logger = pino(baseLoggerOptions('trace', { secrets: ['hunter2-pass'] }), sink);
    const child = logger.child({ session_id: 'grace@example.org' });
    child.trace('trace ada@example.com');
    child.debug({ message: 'my card is 4111 1111 1111 1111' }, 'chat turn received');
    child.info({ tool_error: 'no order for +49 170 1234567' }, 'tool failed');
    child.error(
      { err: new Error('IBAN DE89 3704 0044 0532 0130 00 refused, password hunter2-pass') },
      'boom',
    );
    const text = chunks.join('');
    for (const leaked of [
      'ada@example.com',
      'grace@example.org',
      '4111 1111',
      '1234567',
      'DE89',
      'hunter2-pass',
    ]) {
      expect(text).not.toContain(leaked);
    }
    expect(chunks).toHaveLength(4);
    for (const line of chunks) expect(() => JSON.parse(line)).not.toThrow();
  });
});
