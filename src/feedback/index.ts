import type { OrderDatabase } from '../db/open-database.js';
import { createPostgresFeedbackStore } from './postgres-store.js';
import { createSqliteFeedbackStore } from './sqlite-store.js';
import type { FeedbackStore } from './types.js';

export { createFeedbackService, type FeedbackService } from './service.js';
export {
  type FeedbackInput,
  type FeedbackPage,
  type FeedbackQuery,
  type FeedbackStore,
  MAX_FEEDBACK_COMMENT,
  type StoredFeedback,
} from './types.js';

/** The feedback table of the orders database, on its engine. */
export function createFeedbackStore(database: OrderDatabase): FeedbackStore {
  return database.dialect === 'postgres'
    ? createPostgresFeedbackStore(database.db)
    : createSqliteFeedbackStore(database.db);
}
