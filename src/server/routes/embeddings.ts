// Embeddings across dialects: OpenAI /v1/embeddings on Gemini keys, Gemini :embedContent / :batchEmbedContents
// on OpenAI-compatible keys. Anthropic has no embeddings: that pair stays refused, naming the feature.
import { geminiEmbedToOpenAI, geminiToOpenAIEmbeddings, openAIEmbeddingsToGemini, openAIToGeminiEmbeddings } from '../../translate/index.js';
import { HttpError } from '../errors.js';
import type { ProxyJob } from '../jobs.js';
import type { ResolvedModel } from '../runtime.js';
import { estimateTokens, translatedCallJob } from './translated.js';

/** POST /v1/embeddings for a provider of another dialect. */
export function openAIEmbeddingsJob(target: ResolvedModel, body: Record<string, unknown>, bodyBytes: number): ProxyJob {
  const p = target.provider;
  if (p.adapter.profile.dialect !== 'gemini') {
    throw new HttpError(
      'KMX_ERR_UNTRANSLATABLE',
      `embeddings are not translated to ${p.name} (${p.adapter.profile.dialect} dialect: it has no embeddings API); use /v1/chat/completions for chat, or an embeddings provider`,
    );
  }
  const t = openAIEmbeddingsToGemini(body, { model: target.model });
  const reported = typeof body.model === 'string' ? body.model : target.model;
  return translatedCallJob(target, {
    client: 'openai',
    route: 'batchEmbedContents',
    body: t.body,
    stream: false,
    warnings: t.warnings,
    estimatedTokens: estimateTokens(bodyBytes, 0),
    mapBody: (b) => geminiToOpenAIEmbeddings(b, { model: reported, base64: t.base64 }),
  });
}

/** POST /v1beta/models/{model}:embedContent | :batchEmbedContents for an OpenAI-dialect provider. */
export function geminiEmbeddingsJob(target: ResolvedModel, action: 'embedContent' | 'batchEmbedContents', body: Record<string, unknown>, bodyBytes: number): ProxyJob {
  const p = target.provider;
  if (p.adapter.profile.dialect !== 'openai') {
    throw new HttpError(
      'KMX_ERR_UNTRANSLATABLE',
      `${action} is not translated to ${p.name} (${p.adapter.profile.dialect} dialect: it has no embeddings API)`,
    );
  }
  const batch = action === 'batchEmbedContents';
  const t = geminiEmbedToOpenAI(body, { model: target.model, batch });
  return translatedCallJob(target, {
    client: 'gemini',
    route: 'embeddings',
    body: t.body,
    stream: false,
    warnings: t.warnings,
    estimatedTokens: estimateTokens(bodyBytes, 0),
    mapBody: (b) => openAIToGeminiEmbeddings(b, { batch }),
  });
}
