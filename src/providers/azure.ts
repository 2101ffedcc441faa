import { createOpenAIAdapter } from './openai.js';
import type { ProviderAdapter, ProviderInfo } from './types.js';

/**
 * Azure OpenAI speaks OpenAI's bodies with its own envelope: the key goes in `api-key`, a 429 looks like
 * `{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation … have exceeded token
 * rate limit … Please retry after 6 seconds."}}` with `retry-after`/`retry-after-ms`, and successes carry
 * `x-ratelimit-remaining-requests|tokens`. Its quota belongs to a deployment (one model), so rate limits
 * are scoped to the model. All of that is OpenAI's classifier with the azure flavour (see openai.ts).
 */
export function createAzureAdapter(info: ProviderInfo): ProviderAdapter {
  return createOpenAIAdapter(info, 'azure');
}
