// The hub's canonical form: what every dialect's reader produces and every writer consumes. It is richer than
// any one dialect (Anthropic thinking signatures and redacted thinking, Gemini thought signatures, cache hints,
// top_k, candidate counts), so passing through it loses nothing; only a writer decides what its dialect drops.
import type { Dialect } from '../dialects/index.js';

/** Where media lives: inline bytes, a URL the upstream fetches, a provider file id, or plain text (text documents). */
export type Media =
  | { kind: 'base64'; mediaType: string; data: string }
  | { kind: 'url'; url: string; mediaType?: string }
  | { kind: 'file'; id: string; mediaType?: string }
  | { kind: 'text'; text: string };

/** Opaque signatures a dialect needs back verbatim; each is only ever sent to the dialect that issued it. */
export interface Signatures {
  /** Anthropic's thinking-block `signature`. */
  anthropic?: string;
  /** Gemini's `thoughtSignature` (on thought, text and functionCall parts). */
  gemini?: string;
}

export interface TextPart { type: 'text'; text: string; cache?: unknown; sig?: Signatures }
export interface MediaPart { type: 'image' | 'document' | 'audio'; media: Media; title?: string; cache?: unknown }
/** `redacted`: Anthropic's encrypted redacted_thinking data (then `text` is empty). */
export interface ThinkingPart { type: 'thinking'; text: string; sig?: Signatures; redacted?: string }
export interface ToolCallPart { type: 'tool_call'; id: string; name: string; args: Record<string, unknown>; sig?: Signatures }
export interface ToolResultPart {
  type: 'tool_result';
  /** The id of the call answered; `name` is that call's function name when known (Gemini needs it). */
  id: string;
  name?: string;
  content: Array<TextPart | MediaPart>;
  isError?: boolean;
  cache?: unknown;
}

export type CanonPart = TextPart | MediaPart | ThinkingPart | ToolCallPart | ToolResultPart;

/** A `system` message sits inside the conversation (OpenAI, Anthropic's system role); writers without one hoist it. */
export interface CanonMessage { role: 'user' | 'assistant' | 'system'; parts: CanonPart[] }

export interface CanonTool { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean; cache?: unknown }

/** `allowed`: the calls may only use these tools (OpenAI allowed_tools, Gemini allowedFunctionNames). */
export type CanonToolChoice =
  | { type: 'auto' | 'none' | 'required'; allowed?: string[] }
  | { type: 'tool'; name: string };

/** Either a token budget (Anthropic, Gemini) or an effort word (OpenAI); `off` says thinking is disabled. */
export interface CanonReasoning { budget?: number; effort?: string; off?: boolean }

export interface CanonRequest {
  model?: string;
  system: TextPart[];
  messages: CanonMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  candidates?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  stream: boolean;
  /** The client wants usage at the end of a stream (OpenAI stream_options.include_usage; the others always get it). */
  includeUsage?: boolean;
  tools: CanonTool[];
  toolChoice?: CanonToolChoice;
  /** false: at most one tool call per turn. */
  parallelToolCalls?: boolean;
  reasoning?: CanonReasoning;
  responseFormat?: { schema?: Record<string, unknown> };
  user?: string;
  /** Sampling options only OpenAI has (logit_bias, logprobs, top_logprobs, verbosity, prediction), as sent: each writer names what it drops. */
  openaiOnly?: Record<string, unknown>;
}

/** Why a turn ended, in words every dialect can map to its own. */
export type CanonStop = 'end' | 'length' | 'tool_use' | 'stop_sequence' | 'filter' | 'refusal' | 'pause' | 'context';

/** `input` excludes cache reads and writes (Anthropic's meaning); `output` includes reasoning (OpenAI's meaning). */
export interface CanonUsage { input: number; output: number; cacheRead: number; cacheWrite: number; reasoning: number }

export interface CanonChoice { parts: CanonPart[]; stop: CanonStop; stopSequence?: string }

export interface CanonResponse { id?: string; model?: string; choices: CanonChoice[]; usage: CanonUsage }

/**
 * One step of an upstream stream, already in the hub's words. Tool calls are keyed (several may be open);
 * `choice` is the candidate (n > 1), 0 when absent — writers of one-choice dialects keep choice 0 only.
 */
export type CanonEvent =
  | { type: 'start'; id?: string; model?: string; usage?: CanonUsage }
  | { type: 'text'; text: string; sig?: Signatures; choice?: number }
  | { type: 'thinking'; text: string; sig?: Signatures; redacted?: string; choice?: number }
  | { type: 'tool_start'; key: number; id: string; name: string; sig?: Signatures; choice?: number }
  | { type: 'tool_args'; key: number; json: string; choice?: number }
  | { type: 'usage'; usage: CanonUsage }
  | { type: 'finish'; stop: CanonStop; stopSequence?: string; choice?: number }
  /** `code`: the upstream's own word for the error (Anthropic's error type, Google's status). */
  | { type: 'error'; status: number; message: string; code?: string };

export const ZERO_USAGE: CanonUsage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };

/** Request-side context shared by a reader and a writer: where warnings go, and the target's name for refusals. */
export interface HubContext { warnings: string[]; target: string; upstream: Dialect }
