import { defineConfig } from 'drizzle-kit';

// Postgres (ORDER_DB_URL): `npm run db:generate -- --config drizzle.postgres.config.ts`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/postgres/schema.ts',
  out: './drizzle/postgres',
});
