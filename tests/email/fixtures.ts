import pino from 'pino';
import { type AppConfig, loadConfig } from '../../src/config/index.js';
import type { Order, OrderReader } from '../../src/db/order-types.js';
import type { Tool, ToolContext } from '../../src/tools/registry.js';

export const silentLogger = pino({ level: 'silent' });

export function smtpConfig(port: number, env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    EMAIL_TRANSPORT: 'smtp',
    SMTP_SERVER: '127.0.0.1',
    SMTP_PORT: String(port),
    SENDER_EMAIL: 'shop@example.com',
    SENDER_NAME: 'Acme Support',
    ...env,
  });
}

/** Timeouts short enough that a dead server fails a test in well under a second. */
export const fastSmtp = {
  ignoreTLS: true,
  connectionTimeoutMs: 1000,
  greetingTimeoutMs: 500,
  socketTimeoutMs: 1000,
} as const;

export function toolContext(tenantId = 'tenant-a', signal = new AbortController().signal): ToolContext {
  return { tenantId, sessionId: 'session-1', requestId: 'req-1', signal, logger: silentLogger };
}

export function findTool(tools: readonly Tool[], name: string): Tool {
  const tool = tools.find((t) => t.name === name);
  if (!tool) throw new Error(`tool ${name} missing`);
  return tool;
}

/** Runs a tool the way the agent loop does: arguments through the tool's zod schema first. */
export function runTool(
  tools: readonly Tool[],
  name: string,
  args: unknown,
  ctx = toolContext(),
): Promise<unknown> {
  const tool = findTool(tools, name);
  return tool.execute(tool.parameters.parse(args), ctx);
}

export function makeOrder(overrides: Partial<Order> = {}): Order {
  return {
    order_id: 1,
    customer_name: 'Ada Lovelace',
    customer_email: 'ada@example.com',
    billing_address: '12 Analytical Street\nLondon',
    product_sku: 'ENGINE-01',
    quantity: 2,
    order_amount: 1234.5,
    remarks: null,
    status: 'CONFIRMED',
    created_at: '2025-01-01T10:00:00.000Z',
    updated_at: '2025-01-01T10:00:00.000Z',
    ...overrides,
  };
}

/** Orders keyed by tenant, the way the real repository scopes every lookup. */
export function orderReader(byTenant: Record<string, Order[]>): OrderReader {
  return {
    async getOrder(tenantId, orderId) {
      return byTenant[tenantId]?.find((o) => o.order_id === orderId);
    },
  };
}
