import { defineConfig } from 'drizzle-kit';

/** The `sqlite` session store's own file and migrations, apart from the orders database. */
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/sessions/sqlite/schema.ts',
  out: './drizzle/sessions',
});
