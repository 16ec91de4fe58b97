import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  OpenAIError,
} from 'openai';
import { ModelError } from '../types.js';

/**
 * Thrown by the Entra ID token provider. It extends OpenAIError on purpose: the SDK re-throws
 * OpenAIErrors from an `apiKey` function unchanged, so the cause survives to `toModelError`.
 */
export class LlmCredentialError extends OpenAIError {
  constructor(cause: unknown) {
    super('Could not obtain a Microsoft Entra ID token for Azure OpenAI', { cause });
    this.name = 'LlmCredentialError';
  }
}

/** Thrown by the stream assembler when the provider sends something that cannot be a valid reply. */
export class MalformedReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedReplyError';
  }
}

export interface ErrorCircumstances {
  /** The caller's signal fired: the client went away or the turn was cancelled. */
  callerAborted: boolean;
  /** Our own inactivity timer fired while the reply was streaming. */
  idleTimedOut: boolean;
}

/**
 * Maps anything the SDK or the stream can throw to a ModelError whose message is safe for clients:
 * never the provider's body, URL or key. The original error is kept as `cause` for debug logs only.
 */
export function toModelError(err: unknown, circumstances: ErrorCircumstances): ModelError {
  if (err instanceof ModelError) return err;
  if (circumstances.callerAborted || (err instanceof APIUserAbortError && !circumstances.idleTimedOut)) {
    return new ModelError('aborted', 'The language model request was cancelled', { cause: err });
  }
  if (circumstances.idleTimedOut || err instanceof APIConnectionTimeoutError) {
    return new ModelError('timeout', 'The language model did not answer in time', { cause: err });
  }
  if (err instanceof LlmCredentialError) {
    return new ModelError('unavailable', 'The language model credentials could not be obtained', {
      cause: err,
    });
  }
  if (err instanceof APIConnectionError) {
    return new ModelError('unavailable', 'The language model endpoint is unreachable', { cause: err });
  }
  if (err instanceof APIError) {
    const status = err.status;
    if (status === 401 || status === 403) {
      return new ModelError('unavailable', 'The language model rejected the credentials', {
        cause: err,
        status,
      });
    }
    if (status === undefined) {
      // An `error` object inside the stream itself (e.g. a mid-stream server failure).
      return new ModelError('provider', 'The language model provider reported an error', { cause: err });
    }
    return new ModelError('provider', `The language model provider failed (HTTP ${status})`, {
      cause: err,
      status,
    });
  }
  if (err instanceof SyntaxError || err instanceof MalformedReplyError) {
    return new ModelError('provider', 'The language model sent a malformed reply', { cause: err });
  }
  return new ModelError('provider', 'The language model reply was interrupted', { cause: err });
}
