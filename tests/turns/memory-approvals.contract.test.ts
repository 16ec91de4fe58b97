import { createMemoryApprovalStore } from '../../src/turns/approvals.js';
import { approvalStoreContract } from './approvals-contract.js';

let now = Date.now();

approvalStoreContract('memory', {
  async create() {
    const store = createMemoryApprovalStore({ now: () => now });
    return { first: store, second: store };
  },
  now: () => now,
  advance(ms) {
    now += ms;
  },
  async expire() {},
});
