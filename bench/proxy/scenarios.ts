// What the load generator sends: four OpenAI chat requests (JSON or SSE answer; a small or a 32 KB body —
// the simulator echoes the prompt, so a 32 KB request gets a ~32 KB answer).

export interface Scenario {
  name: string;
  stream: boolean;
  body: string;
}

function chat(content: string, stream: boolean): string {
  return JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...(stream ? { stream: true } : {}) });
}

/** A prompt of words that makes the request body `bytes` long. */
function promptFor(bytes: number, stream: boolean): string {
  const overhead = chat('', stream).length;
  const words = 'the quick brown fox jumps over the lazy dog ';
  return words.repeat(Math.ceil(bytes / words.length)).slice(0, bytes - overhead);
}

const SMALL = 'Say hello to the benchmark';
const LARGE = 32 * 1024;

export const SCENARIOS: Scenario[] = [
  { name: 'json-small', stream: false, body: chat(SMALL, false) },
  { name: 'json-32k', stream: false, body: chat(promptFor(LARGE, false), false) },
  { name: 'sse-small', stream: true, body: chat(SMALL, true) },
  { name: 'sse-32k', stream: true, body: chat(promptFor(LARGE, true), true) },
];

/** One request, checked: a 200 whose body is the simulator's echo (and a finished stream). */
export async function probe(url: string, headers: Record<string, string>, s: Scenario): Promise<string | undefined> {
  try {
    const res = await fetch(url, { method: 'POST', headers, body: s.body, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    if (res.status !== 200) return `HTTP ${res.status}: ${text.slice(0, 200)}`;
    if (!text.includes('echo: ')) return `unexpected body: ${text.slice(0, 200)}`;
    if (s.stream && !text.includes('data: [DONE]')) return `stream did not finish: ${text.slice(-200)}`;
    return undefined;
  } catch (e) {
    return `request failed: ${(e as Error).message}`;
  }
}
