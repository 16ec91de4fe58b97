import dotenv from 'dotenv';
import { type AppConfig, ConfigError, loadConfig } from './config/index.js';

// .env fills in what the real environment does not set; it never overrides it.
dotenv.config({ quiet: true });

let config: AppConfig;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

// Loaded only once the configuration is known to be valid, so that a bad value fails in an instant.
const { startService } = await import('./startup/start-service.js');
startService(config);
