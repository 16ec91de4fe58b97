/**
 * The API's `message_count`: user, assistant and operator messages (no system or tool messages). Typed on `role` alone so that model
 * transcripts (with system and tool messages) can be counted the same way.
 */
export function countConversationMessages(messages: readonly { role: string }[]): number {
  let count = 0;
  for (const m of messages) if (m.role === 'user' || m.role === 'assistant' || m.role === 'operator') count++;
  return count;
}
