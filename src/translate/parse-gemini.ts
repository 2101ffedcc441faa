// The Gemini generateContent request as the hub's Gemini reader reads it. Objects are loose: fields the reader
// does not read pass untouched (and get a warning at the top level).
import { z } from 'zod';
import { jsonObject, opt, parseRequest } from './parse.js';

const part = z.looseObject({
  text: opt(z.string()),
  thought: opt(z.boolean()),
  thoughtSignature: opt(z.string()),
  inlineData: opt(z.looseObject({ mimeType: z.string(), data: z.string() })),
  fileData: opt(z.looseObject({ mimeType: opt(z.string()), fileUri: z.string() })),
  functionCall: opt(z.looseObject({ name: z.string(), args: opt(jsonObject), id: opt(z.string()) })),
  functionResponse: opt(z.looseObject({ name: z.string(), response: opt(jsonObject), id: opt(z.string()) })),
});

const content = z.looseObject({ role: opt(z.string()), parts: z.array(part) });

const declaration = z.looseObject({
  name: z.string(),
  description: opt(z.string()),
  parameters: opt(jsonObject),
  parametersJsonSchema: opt(jsonObject),
});

const request = z.looseObject({
  contents: z.array(content),
  systemInstruction: opt(z.union([z.string(), z.looseObject({ parts: z.array(part) })])),
  tools: opt(z.array(z.looseObject({ functionDeclarations: opt(z.array(declaration)) }))),
  toolConfig: opt(z.looseObject({
    functionCallingConfig: opt(z.looseObject({ mode: opt(z.string()), allowedFunctionNames: opt(z.array(z.string())) })),
  })),
  generationConfig: opt(z.looseObject({
    maxOutputTokens: opt(z.number()),
    temperature: opt(z.number()),
    topP: opt(z.number()),
    topK: opt(z.number()),
    stopSequences: opt(z.array(z.string())),
    candidateCount: opt(z.number()),
    seed: opt(z.number()),
    presencePenalty: opt(z.number()),
    frequencyPenalty: opt(z.number()),
    responseMimeType: opt(z.string()),
    responseSchema: opt(jsonObject),
    responseJsonSchema: opt(jsonObject),
    responseModalities: opt(z.array(z.string())),
    thinkingConfig: opt(z.looseObject({ thinkingBudget: opt(z.number()), includeThoughts: opt(z.boolean()), thinkingLevel: opt(z.string()) })),
  })),
});

export type GeminiRequestIn = z.output<typeof request>;
export type GeminiPartIn = z.output<typeof part>;
export type GeminiDeclarationIn = z.output<typeof declaration>;

export function parseGeminiRequest(input: unknown): GeminiRequestIn {
  return parseRequest(request, input);
}
