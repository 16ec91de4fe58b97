import type { Logger } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { RuntimeOptions } from '../../src/startup/runtime.js';
import { type FakeOpenAI, type FakeOpenAIOptions, startFakeOpenAI } from './fake-openai-server.js';
import { type FullApp, startFullApp } from './full-app.js';

export type FullAppOptions = RuntimeOptions & { logger?: Logger; listen?: boolean; pingIntervalMs?: number };

export interface FakeModelAppOptions {
  /** OPENAI_API_KEY the app sends to the fake (tests check it never leaks). */
  apiKey: string;
  /** OPENAI_MODEL, when the test looks at the model name. */
  model?: string;
  /** More variables every app of the file gets (ORDER_ACCESS, API_KEYS, …). */
  env?: Record<string, string>;
  /** Options of the fake server itself. */
  fake?: FakeOpenAIOptions;
  /**
   * One app for the whole file, started after the fake in beforeAll and closed in afterAll, for
   * files whose tests can share it; without it each test starts its own with `start()`. `env` may
   * be a function, read then, for values known only once the file's earlier beforeAll hooks ran.
   */
  fileApp?: { env?: Record<string, string> | (() => Record<string, string>); options?: FullAppOptions };
}

export interface FakeModelApp {
  /** The file's fake OpenAI-compatible server; its script and recorded requests are reset before each test. */
  readonly fake: FakeOpenAI;
  /** The app the running test started last, else the file's app. */
  readonly service: FullApp;
  /** The variables that point the app's model at the fake (provider openai, no retries), plus `extra`. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Starts the whole service on the fake with `env(extra)`; it is closed after the test. */
  start(extra?: Record<string, string>, options?: FullAppOptions): Promise<FullApp>;
  /** Starts the whole service with exactly `env` (no model variables, e.g. offline), closed after the test too. */
  startWithout(env: Record<string, string>, options?: FullAppOptions): Promise<FullApp>;
}

/** A test may close its app itself (a restart); the close after the test then does nothing. */
function closingOnce(app: FullApp): FullApp {
  let closing: Promise<void> | undefined;
  const close = app.close;
  return Object.assign(app, { close: () => (closing ??= close()) });
}

/**
 * The set-up of a file that runs the whole service (`startFullApp`) against the fake OpenAI server:
 * the fake starts once for the file and is reset before every test, apps started by a test are
 * closed after it, and everything is closed when the file ends.
 *
 *   const llm = useFakeModelApp({ apiKey: 'sk-test-…' });
 *   it('…', async () => {
 *     const service = await llm.start({ ORDER_ACCESS: 'tenant' });
 *     llm.fake.script(step.text('Hello.'));
 *     …
 *   });
 */
export function useFakeModelApp(options: FakeModelAppOptions): FakeModelApp {
  let fake: FakeOpenAI | undefined;
  let fileApp: FullApp | undefined;
  const testApps: FullApp[] = [];

  const harness: FakeModelApp = {
    get fake(): FakeOpenAI {
      if (!fake) throw new Error('the fake OpenAI server starts in beforeAll');
      return fake;
    },
    get service(): FullApp {
      const app = testApps.at(-1) ?? fileApp;
      if (!app) throw new Error('no app started: call start() in the test, or pass fileApp');
      return app;
    },
    env(extra = {}) {
      return {
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: harness.fake.baseURL,
        OPENAI_API_KEY: options.apiKey,
        ...(options.model ? { OPENAI_MODEL: options.model } : {}),
        LLM_MAX_RETRIES: '0',
        ...options.env,
        ...extra,
      };
    },
    start: (extra = {}, appOptions = {}) => harness.startWithout(harness.env(extra), appOptions),
    async startWithout(env, appOptions = {}) {
      const app = closingOnce(await startFullApp(env, appOptions));
      testApps.push(app);
      return app;
    },
  };

  beforeAll(async () => {
    fake = await startFakeOpenAI(options.fake);
    if (options.fileApp) {
      const { env = {}, options: appOptions } = options.fileApp;
      fileApp = await startFullApp(harness.env(typeof env === 'function' ? env() : env), appOptions);
    }
  });
  beforeEach(() => {
    fake?.reset();
  });
  afterEach(async () => {
    for (const app of testApps.splice(0).reverse()) await app.close();
  });
  afterAll(async () => {
    await fileApp?.close();
    await fake?.close();
  });
  return harness;
}
