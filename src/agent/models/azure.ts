import type { TokenCredential } from '@azure/identity';
import { AzureOpenAI } from 'openai';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config/load-config.js';
import type { ChatModel } from '../types.js';
import { createHttpFetch } from './http-fetch.js';
import { LlmCredentialError } from './model-errors.js';
import { createOpenAICompatibleModel } from './openai-compatible.js';
import { sdkLogOptions } from './sdk-logger.js';

export const AZURE_COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';

type AzureConfig = Pick<
  AppConfig,
  | 'azureEndpoint'
  | 'AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME'
  | 'AZURE_OPENAI_API_VERSION'
  | 'AZURE_OPENAI_API_KEY'
  | 'LLM_TIMEOUT_MS'
  | 'LLM_MAX_RETRIES'
>;

export interface AzureClientDeps {
  config: AzureConfig;
  logger: Logger;
  /** Entra ID credential used when no API key is configured; `DefaultAzureCredential` by default. */
  credential?: TokenCredential;
}

export type AzureAuthMode = 'api-key' | 'entra-id';

/**
 * Builds the `AzureOpenAI` client. Every option is passed explicitly: left undefined, the SDK would
 * fall back to reading OPENAI_BASE_URL, AZURE_OPENAI_API_KEY and friends from process.env, and the
 * configuration must come from `config` alone.
 */
export function createAzureClient({ config, logger, credential }: AzureClientDeps): {
  client: AzureOpenAI;
  deployment: string;
  auth: AzureAuthMode;
} {
  const endpoint = config.azureEndpoint;
  const deployment = config.AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME;
  if (!endpoint || !deployment) {
    throw new Error('Azure OpenAI needs AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME');
  }
  const common = {
    baseURL: `${endpoint.replace(/\/+$/, '')}/openai`,
    deployment,
    apiVersion: config.AZURE_OPENAI_API_VERSION,
    timeout: config.LLM_TIMEOUT_MS,
    maxRetries: config.LLM_MAX_RETRIES,
    organization: null,
    project: null,
    fetch: createHttpFetch(),
    ...sdkLogOptions(logger),
  };

  if (config.AZURE_OPENAI_API_KEY) {
    return {
      client: new AzureOpenAI({ ...common, apiKey: config.AZURE_OPENAI_API_KEY }),
      deployment,
      auth: 'api-key',
    };
  }

  // @azure/identity is a large module graph that only Entra ID sign-in needs: it is loaded on the
  // first token request, not by every start of the service.
  let getToken: Promise<() => Promise<string>> | undefined;
  const azureADTokenProvider = async (): Promise<string> => {
    try {
      getToken ??= import('@azure/identity')
        .then(({ DefaultAzureCredential, getBearerTokenProvider }) =>
          getBearerTokenProvider(credential ?? new DefaultAzureCredential(), AZURE_COGNITIVE_SERVICES_SCOPE),
        )
        .catch((err: unknown) => {
          // A credential that could not be set up is tried again on the next request.
          getToken = undefined;
          throw err;
        });
      return await (await getToken)();
    } catch (err) {
      throw new LlmCredentialError(err);
    }
  };
  // An empty apiKey keeps the SDK from picking AZURE_OPENAI_API_KEY up from process.env.
  return {
    client: new AzureOpenAI({ ...common, apiKey: '', azureADTokenProvider }),
    deployment,
    auth: 'entra-id',
  };
}

export function createAzureChatModel(deps: AzureClientDeps): ChatModel {
  const { client, deployment, auth } = createAzureClient(deps);
  deps.logger.debug({ deployment, auth }, 'Azure OpenAI client created');
  return createOpenAICompatibleModel({ client, model: deployment, provider: 'azure', logger: deps.logger });
}
