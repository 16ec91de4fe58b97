import { readFileSync } from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { envVariables } from '../../src/config/schema.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

const schemaVariables = Object.keys(envVariables.shape);
// Read by the reference complaints MCP server (mcp-servers/complaints/env.ts), not by the API.
const complaintsOnly = ['COMPLAINTS_MCP_HOST', 'COMPLAINTS_MCP_PORT', 'COMPLAINTS_DB_PATH'];

describe('.env.example', () => {
  const example = dotenv.parse(read('.env.example'));

  it('documents every variable the service reads', () => {
    const missing = schemaVariables.filter((name) => !(name in example));
    expect(missing).toEqual([]);
  });

  it('names no variable that nothing reads (a typo would silently do nothing)', () => {
    const unknown = Object.keys(example).filter(
      (name) => !schemaVariables.includes(name) && !complaintsOnly.includes(name),
    );
    expect(unknown).toEqual([]);
  });

  it('shows the real defaults: an untouched copy configures exactly what no .env configures', () => {
    expect(loadConfig(example)).toEqual(loadConfig({}));
  });
});

describe('.env.docker', () => {
  const docker = dotenv.parse(read('.env.docker'));

  it('is a valid configuration that starts offline, with no secret filled in', () => {
    const config = loadConfig(docker);
    expect(config.llmProvider).toBe('offline');
    expect(config.emailTransport).toBe('file');
    expect(config.AZURE_OPENAI_API_KEY).toBeUndefined();
    expect(config.OPENAI_API_KEY).toBeUndefined();
    expect(config.SENDER_PASSWORD).toBeUndefined();
    expect(config.API_KEYS).toEqual([]);
  });

  it('keeps every file inside the volumes the compose file mounts', () => {
    const config = loadConfig(docker);
    expect(config.ORDER_DB_PATH.startsWith('/app/data/')).toBe(true);
    expect(config.EMAIL_OUTBOX_DIR.startsWith('/app/data/')).toBe(true);
    expect(config.LOG_FILE_PATH.startsWith('/app/logs/')).toBe(true);
    expect(config.MCP_SERVER_URL).toBe('http://complaints:8000/mcp');
    expect(config.SERVER_PORT).toBe(9080);
  });

  it('names only variables the service reads', () => {
    expect(Object.keys(docker).filter((name) => !schemaVariables.includes(name))).toEqual([]);
  });
});

describe('README.md configuration table', () => {
  const readme = read('README.md');

  it('has a row for every variable', () => {
    const missing = [...schemaVariables, ...complaintsOnly].filter(
      (name) => !new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, 'm').test(readme),
    );
    expect(missing).toEqual([]);
  });

  it('states the same default as .env.example for each variable', () => {
    const example = dotenv.parse(read('.env.example'));
    const wrong: string[] = [];
    for (const [name, value] of Object.entries(example)) {
      const row = new RegExp(`^\\|\\s*\`${name}\`\\s*\\|([^|]*)\\|`, 'm').exec(readme);
      const shown = row?.[1]?.trim() ?? '';
      const expected = value === '' ? '–' : `\`${value}\``;
      if (shown !== expected) wrong.push(`${name}: README shows ${shown}, .env.example has "${value}"`);
    }
    expect(wrong).toEqual([]);
  });
});
