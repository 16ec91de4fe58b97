import { createMemorySessionStore } from '../../src/sessions/index.js';
import { sessionStoreContract } from './store-contract.js';

sessionStoreContract('memory', {
  clock: 'manual',
  async create(limits) {
    return createMemorySessionStore({
      ttlMinutes: limits.ttlMs / 60_000,
      maxSessions: limits.maxSessions,
      maxSessionsPerTenant: limits.maxSessionsPerTenant,
      maxMessages: limits.maxMessages,
      now: limits.now,
    });
  },
});
