import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { ModelToolSpec } from '../../tools/registry.js';
import type { ModelMessage } from '../types.js';

function toChatMessage(message: ModelMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    case 'assistant': {
      const toolCalls = message.toolCalls ?? [];
      if (toolCalls.length === 0) return { role: 'assistant', content: message.content ?? '' };
      return {
        role: 'assistant',
        content: message.content,
        tool_calls: toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        })),
      };
    }
  }
}

export function toChatMessages(messages: readonly ModelMessage[]): ChatCompletionMessageParam[] {
  return messages.map(toChatMessage);
}

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

/**
 * Each message's JSON and its UTF-8 length while the message lives. A turn's two model calls send
 * the same conversation plus the step between them, and the history's messages are the same objects
 * from turn to turn while their session is in use (`historyToModelMessages`), so most of a request is
 * written once. Model messages are never changed once made.
 */
interface Encoded {
  json: string;
  bytes: number;
}
const messageJson = new WeakMap<ModelMessage, Encoded>();

/** The system prompt is a new object every turn but the same text: the latest one's bytes are kept. */
let systemPrompt: { content: string; bytes: Buffer } | undefined;

function encodedOf(message: ModelMessage): Encoded {
  let encoded = messageJson.get(message);
  if (encoded === undefined) {
    const json = JSON.stringify(toChatMessage(message));
    encoded = { json, bytes: Buffer.byteLength(json) };
    messageJson.set(message, encoded);
  }
  return encoded;
}

function systemBytes(message: ModelMessage & { role: 'system' }): Buffer {
  if (systemPrompt?.content !== message.content) {
    systemPrompt = { content: message.content, bytes: Buffer.from(JSON.stringify(toChatMessage(message))) };
  }
  return systemPrompt.bytes;
}

const TOOLS_OPEN = Buffer.from('],"stream":true,"stream_options":{"include_usage":true},"tools":[');
const TOOLS_CLOSE = Buffer.from(']}');
const NO_TOOLS_CLOSE = Buffer.from('],"stream":true,"stream_options":{"include_usage":true}}');
const COMMA = 0x2c;

/**
 * The streaming request body for `messages` and `tools`, byte for byte what the SDK writes for the
 * same parameters (its encoder is `JSON.stringify`), as UTF-8 bytes. Most of those bytes do not
 * change from call to call — a dozen tool definitions with their schemas are about 11 KB, the system
 * prompt about 2 KB, the history most of the rest — so each part is encoded once and every call only
 * copies the parts into one buffer of the right size: no string of the whole body is ever built,
 * and the HTTP layer neither measures nor re-encodes it.
 */
export function requestBody(
  model: string,
  messages: readonly ModelMessage[],
  tools: readonly ModelToolSpec[],
): Buffer {
  const head = `{"model":${JSON.stringify(model)},"messages":[`;
  const headBytes = Buffer.byteLength(head);
  let total = headBytes + Math.max(0, messages.length - 1);
  const parts: Array<Buffer | Encoded> = [];
  for (const message of messages) {
    const part = message.role === 'system' ? systemBytes(message) : encodedOf(message);
    parts.push(part);
    total += 'json' in part ? part.bytes : part.length;
  }
  const toolParts = tools.map(toolJson);
  total +=
    tools.length === 0 ? NO_TOOLS_CLOSE.length : TOOLS_OPEN.length + TOOLS_CLOSE.length + tools.length - 1;
  for (const part of toolParts) total += part.length;

  const out = Buffer.allocUnsafe(total);
  let at = out.write(head, 0, headBytes, 'utf8');
  parts.forEach((part, i) => {
    if (i > 0) out[at++] = COMMA;
    at += 'json' in part ? out.write(part.json, at, part.bytes, 'utf8') : part.copy(out, at);
  });
  if (tools.length === 0) {
    at += NO_TOOLS_CLOSE.copy(out, at);
  } else {
    at += TOOLS_OPEN.copy(out, at);
    toolParts.forEach((part, i) => {
      if (i > 0) out[at++] = COMMA;
      at += part.copy(out, at);
    });
    at += TOOLS_CLOSE.copy(out, at);
  }
  return at === total ? out : out.subarray(0, at);
}
