/**
 * Providers match tool results to calls by id, and reject a conversation in which one id appears twice.
 * Some OpenAI-compatible servers number calls per response ("call_0" in every step), so ids are made
 * unique over everything sent in one request: a repeated id gets a suffix ("call_0_2", "call_0_3"…).
 */
export function claimCallId(id: string, used: Set<string>): string {
  let claimed = id;
  for (let n = 2; used.has(claimed); n++) claimed = `${id}_${n}`;
  used.add(claimed);
  return claimed;
}
