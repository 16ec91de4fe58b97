export {
  createHandoffService,
  type HandoffEvent,
  type HandoffService,
  type HandoffServiceDeps,
  sessionNotFound,
  type WaitingSession,
} from './service.js';
export { createHandoffTool, HANDOFF_TOOL_INSTRUCTION, HANDOFF_TOOL_NAME } from './tool.js';
export {
  createHandoffWebhook,
  type HandoffWebhook,
  type HandoffWebhookBody,
  type HandoffWebhookOptions,
  signBody,
  webhookBody,
} from './webhook.js';
