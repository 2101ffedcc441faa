import type { ProviderInfo } from './types.js';

/**
 * Every provider keymux knows by name. Env variables derive from the canonical name and the aliases
 * (`NVIDIA_NIM_API_KEYS`, `NVIDIA_API_KEY_2`, `GOOGLE_API_KEY`), and so do model prefixes (`nvidia/…`).
 * Aliases live here and nowhere else.
 */
export const CATALOG: readonly ProviderInfo[] = [
  { name: 'openai', label: 'OpenAI', aliases: [], dialect: 'openai', baseUrl: 'https://api.openai.com/v1', limitsPerModel: true, responsesApi: true },
  { name: 'anthropic', label: 'Anthropic', aliases: [], dialect: 'anthropic', baseUrl: 'https://api.anthropic.com', limitsPerModel: true },
  { name: 'gemini', label: 'Google Gemini', aliases: ['google'], dialect: 'gemini', baseUrl: 'https://generativelanguage.googleapis.com', limitsPerModel: true, idPrefixes: ['models', 'tunedModels'] },
  { name: 'nvidia_nim', label: 'NVIDIA NIM', aliases: ['nvidia', 'nim'], dialect: 'openai', baseUrl: 'https://integrate.api.nvidia.com/v1', limitsPerModel: false, vendorModels: true },
  { name: 'openrouter', label: 'OpenRouter', aliases: [], dialect: 'openai', baseUrl: 'https://openrouter.ai/api/v1', limitsPerModel: false, vendorModels: true },
  { name: 'groq', label: 'Groq', aliases: [], dialect: 'openai', baseUrl: 'https://api.groq.com/openai/v1', limitsPerModel: true, slashIds: true },
  { name: 'mistral', label: 'Mistral', aliases: [], dialect: 'openai', baseUrl: 'https://api.mistral.ai/v1', limitsPerModel: false },
  { name: 'deepseek', label: 'DeepSeek', aliases: [], dialect: 'openai', baseUrl: 'https://api.deepseek.com/v1', limitsPerModel: false },
  { name: 'together', label: 'Together AI', aliases: [], dialect: 'openai', baseUrl: 'https://api.together.xyz/v1', limitsPerModel: false, vendorModels: true },
  { name: 'fireworks', label: 'Fireworks AI', aliases: [], dialect: 'openai', baseUrl: 'https://api.fireworks.ai/inference/v1', limitsPerModel: false, slashIds: true },
  { name: 'cerebras', label: 'Cerebras', aliases: [], dialect: 'openai', baseUrl: 'https://api.cerebras.ai/v1', limitsPerModel: true },
  { name: 'xai', label: 'xAI', aliases: [], dialect: 'openai', baseUrl: 'https://api.x.ai/v1', limitsPerModel: false },
  {
    name: 'azure_openai', label: 'Azure OpenAI', aliases: ['azure'], dialect: 'azure', baseUrl: '', limitsPerModel: true,
    deployments: true, endpointEnv: 'AZURE_OPENAI_ENDPOINT', responsesApi: true,
  },
];

const byName = new Map<string, ProviderInfo>();
for (const p of CATALOG) {
  byName.set(p.name, p);
  for (const a of p.aliases) byName.set(a, p);
}

/** The catalog entry for a canonical name or alias (case-insensitive, `-` and `_` alike), or undefined. */
export function findProvider(name: string): ProviderInfo | undefined {
  return byName.get(name.toLowerCase().replace(/-/g, '_'));
}

/** Env prefixes that add keys to a provider: its canonical name first, then its aliases (`NVIDIA_NIM`, `NVIDIA`, `NIM`). */
export function envPrefixes(p: ProviderInfo): string[] {
  return [p.name, ...p.aliases].map((n) => n.toUpperCase());
}
