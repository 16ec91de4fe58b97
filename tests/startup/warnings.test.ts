import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { startupWarnings } from '../../src/startup/warnings.js';

describe('start-up warnings', () => {
  it('tell the operator, not the customer, that the offline assistant is not an LLM and how to configure one', () => {
    const offline = startupWarnings(loadConfig({ LLM_PROVIDER: 'offline' })).join('\n');
    expect(offline).toContain('not an LLM');
    expect(offline).toMatch(/AZURE_OPENAI_ENDPOINT.*OPENAI_API_KEY/);
    const configured = startupWarnings(loadConfig({ LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-test' }));
    expect(configured.join('\n')).not.toContain('not an LLM');
  });
});
