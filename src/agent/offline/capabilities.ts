import type { ModelToolSpec } from '../../tools/registry.js';
import { findTool } from './tool-args.js';

/** The tools the offline router can drive, what it calls the capability, and an example request. */
export const CAPABILITIES = [
  { tool: 'get_order', label: 'Looking up orders', example: 'look up an order: "show order 42" or "#42"' },
  {
    tool: 'list_orders',
    label: 'Listing orders',
    example: 'list a customer\'s orders: "list orders for Jane Doe" or "orders of jane@example.com"',
  },
  { tool: 'get_order', label: 'Checking order status', example: 'check a status: "where is my order 42?"' },
  {
    tool: 'cancel_order',
    label: 'Cancelling orders',
    example:
      'cancel an order: "cancel order 42 because I ordered it twice", then confirm with "yes, cancel order 42"',
  },
  {
    tool: 'send_order_confirmation',
    label: 'Sending order confirmations',
    example: 'e-mail a confirmation: "send me the confirmation for order 42 to jane@example.com"',
  },
  {
    tool: 'create_complaint',
    label: 'Filing complaints',
    example:
      'file a complaint: "I want to file a complaint about order 42: the parcel arrived damaged. My name is Jane Doe, jane@example.com"',
  },
  {
    tool: 'get_complaint',
    label: 'Looking up complaints',
    example: 'check a complaint: "what is the status of complaint CMP-7K2QX9AB?"',
  },
  {
    tool: 'list_complaints',
    label: 'Listing complaints',
    example: 'list complaints: "list my complaints (jane@example.com)"',
  },
] as const;

export type CapabilityTool = (typeof CAPABILITIES)[number]['tool'];

export const LLM_SETUP_HINT =
  'To chat with a real language model, configure one and restart the server: for Azure OpenAI set AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME (plus AZURE_OPENAI_API_KEY, or sign in for Microsoft Entra ID); for OpenAI or a compatible server set OPENAI_API_KEY and/or OPENAI_BASE_URL (Ollama, vLLM, LM Studio…).';

/** Says plainly that this is not an LLM, shows what works right now, and how to get an LLM. */
export function helpText(tools: readonly ModelToolSpec[]): string {
  const available = CAPABILITIES.filter((c) => findTool(tools, c.tool));
  const unavailable = [...new Set(CAPABILITIES.filter((c) => !findTool(tools, c.tool)).map((c) => c.label))];
  const lines = [
    'I am the offline assistant of this service: a simple rule-based intent router, not an AI language model, so I only understand a few kinds of request.',
  ];
  if (available.length > 0) {
    lines.push('', 'I can:');
    for (const capability of available) lines.push(`- ${capability.example}`);
  } else {
    lines.push('', 'None of the tools I use are available right now.');
  }
  if (unavailable.length > 0 && available.length > 0) {
    lines.push('', `Not available right now: ${unavailable.map((l) => l.toLowerCase()).join(', ')}.`);
  }
  lines.push('', LLM_SETUP_HINT);
  return lines.join('\n');
}

export function unavailableText(tool: CapabilityTool): string {
  const label = CAPABILITIES.find((c) => c.tool === tool)?.label ?? 'This';
  const why = tool.includes('complaint') ? ' (the complaints service is not connected)' : '';
  return `${label} is not available right now${why}. Please try again later.`;
}
