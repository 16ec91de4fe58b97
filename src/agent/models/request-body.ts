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
 * Each message's JSON while the message lives. A turn's two model calls send the same conversation
 * plus the step between them, and the history's messages are the same objects from turn to turn
 * while their session is in use (`historyToModelMessages`), so most of a request is written once.
 * Model messages are never changed once made.
 */
const messageJson = new WeakMap<ModelMessage, string>();

/** The system prompt is a new object every turn but the same text: the latest one's JSON is kept. */
let systemPrompt: { content: string; json: string } | undefined;

function jsonOf(message: ModelMessage): string {
  if (message.role === 'system') {
    if (systemPrompt?.content !== message.content) {
      systemPrompt = { content: message.content, json: JSON.stringify(toChatMessage(message)) };
    }
    return systemPrompt.json;
  }
  let json = messageJson.get(message);
  if (json === undefined) {
    json = JSON.stringify(toChatMessage(message));
    messageJson.set(message, json);
  }
  return json;
}

const COMMA = Buffer.from(',');
const TOOLS_OPEN = Buffer.from('],"stream":true,"stream_options":{"include_usage":true},"tools":[');
const TOOLS_CLOSE = Buffer.from(']}');
const NO_TOOLS_CLOSE = Buffer.from('],"stream":true,"stream_options":{"include_usage":true}}');

/**
 * The streaming request body for `messages` and `tools`, byte for byte what the SDK writes for the
 * same parameters (its encoder is `JSON.stringify`), as UTF-8 bytes. Most of those bytes do not
 * change from call to call — a dozen tool definitions with their schemas are about 11 KB, the system
 * prompt about 2 KB, the history most of the rest — so each part is encoded once and copied in.
 * Bytes rather than a string: the HTTP layer then neither measures nor re-encodes the text.
 */
export function requestBody(
  model: string,
  messages: readonly ModelMessage[],
  tools: readonly ModelToolSpec[],
): Buffer {
  let head = `{"model":${JSON.stringify(model)},"messages":[`;
  for (let i = 0; i < messages.length; i++) {
    const json = jsonOf(messages[i] as ModelMessage);
    head = i === 0 ? head + json : `${head},${json}`;
  }
  const parts: Buffer[] = [Buffer.from(head)];
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
