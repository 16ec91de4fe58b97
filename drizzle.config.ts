import { defineConfig } from 'drizzle-kit';

// SQLite (ORDER_DB_PATH). Postgres (ORDER_DB_URL) has its own: drizzle.postgres.config.ts.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/sqlite/schema.ts',
  out: './drizzle/sqlite',
});
