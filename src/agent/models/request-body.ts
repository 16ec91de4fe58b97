import type {
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { ModelToolSpec } from '../../tools/registry.js';

export function toChatTools(tools: readonly ModelToolSpec[]): ChatCompletionTool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  }));
}

/** Each tool's definition as UTF-8 JSON, written once: the registry hands out the same spec objects. */
const toolBytes = new WeakMap<ModelToolSpec, Buffer>();

function toolJson(tool: ModelToolSpec): Buffer {
  let bytes = toolBytes.get(tool);
  if (bytes === undefined) {
    bytes = Buffer.from(JSON.stringify(toChatTools([tool])[0]));
    toolBytes.set(tool, bytes);
  }
  return bytes;
}

/** The system prompt is the same on every call: its JSON is kept for the latest one seen. */
let systemPrompt: { content: string; bytes: Buffer } | undefined;

function systemJson(message: ChatCompletionMessageParam, content: string): Buffer {
  if (systemPrompt?.content !== content) {
    systemPrompt = { content, bytes: Buffer.from(JSON.stringify(message)) };
  }
  return systemPrompt.bytes;
}

const COMMA = Buffer.from(',');
const TOOLS_OPEN = Buffer.from('],"stream":true,"stream_options":{"include_usage":true},"tools":[');
const TOOLS_CLOSE = Buffer.from(']}');
const NO_TOOLS_CLOSE = Buffer.from('],"stream":true,"stream_options":{"include_usage":true}}');

/**
 * The streaming request body, byte for byte what the SDK writes for `params` with `tools` (its own
 * encoder is `JSON.stringify`), as UTF-8 bytes. Most of those bytes never change between calls — a
 * dozen tool definitions with their schemas are about 11 KB, the system prompt about 2 KB — so they
 * are encoded once and copied in; only the conversation is serialised per call. Bytes rather than a
 * string: the HTTP layer then neither measures nor re-encodes 13 KB of text on every call.
 */
export function requestBody(
  params: ChatCompletionCreateParamsStreaming,
  tools: readonly ModelToolSpec[],
): Buffer {
  const parts: Buffer[] = [];
  let rest = `{"model":${JSON.stringify(params.model)},"messages":[`;
  let first = true;
  for (const message of params.messages) {
    if (message.role === 'system' && typeof message.content === 'string') {
      parts.push(Buffer.from(first ? rest : `${rest},`), systemJson(message, message.content));
      rest = '';
    } else {
      rest += first ? JSON.stringify(message) : `,${JSON.stringify(message)}`;
    }
    first = false;
  }
  if (rest !== '') parts.push(Buffer.from(rest));
  if (tools.length === 0) {
    parts.push(NO_TOOLS_CLOSE);
  } else {
    parts.push(TOOLS_OPEN);
    tools.forEach((tool, i) => {
      if (i > 0) parts.push(COMMA);
      parts.push(toolJson(tool));
    });
    parts.push(TOOLS_CLOSE);
  }
  return Buffer.concat(parts);
}
