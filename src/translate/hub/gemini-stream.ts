// canonical stream events → Gemini streamGenerateContent chunks. Gemini sends each function call whole, so a
// call's argument fragments are gathered and the call goes out once it is complete (the next event that is
// not one of its fragments, or the end). The last chunk carries finishReason and usageMetadata.
import type { CanonEvent, CanonStop, CanonUsage, Signatures } from '../canonical.js';
import { ZERO_USAGE } from '../canonical.js';
import { DIALECT, type StreamItem } from '../../dialects/index.js';
import type { GeminiPart } from '../types.js';
import { parseToolArguments, randomId } from '../util.js';
import { geminiFinish, geminiPartOut, geminiUsageOut } from './gemini-write.js';

interface PendingCall { key: number; id: string; name: string; json: string; sig?: Signatures }

export class GeminiStreamWriter {
  private id = randomId('');
  private model: string;
  private done = false;
  private pending: PendingCall | undefined;
  private usage: CanonUsage = ZERO_USAGE;
  private stop: CanonStop | undefined;
  private calls = 0;

  constructor(opts: { model?: string } = {}) {
    this.model = opts.model ?? '';
  }

  push(events: CanonEvent[]): StreamItem[] {
    const out: StreamItem[] = [];
    for (const e of events) {
      if (this.done) break;
      if ('choice' in e && e.choice) continue; // one-choice dialect: other candidates stay behind
      if (e.type === 'tool_args') {
        if (this.pending?.key === e.key) this.pending.json += e.json;
        continue;
      }
      if (e.type !== 'usage' && e.type !== 'finish') this.flush(out);
      switch (e.type) {
        case 'start':
          if (e.id) this.id = e.id;
          if (!this.model && e.model) this.model = e.model;
          if (e.usage) this.usage = e.usage;
          break;
        case 'text': if (e.text || e.sig) this.emit(out, [{ type: 'text', text: e.text, ...(e.sig ? { sig: e.sig } : {}) }]); break;
        case 'thinking':
          if (e.redacted === undefined && (e.text || e.sig)) this.emit(out, [{ type: 'thinking', text: e.text, ...(e.sig ? { sig: e.sig } : {}) }]);
          break;
        case 'tool_start': this.pending = { key: e.key, id: e.id, name: e.name, json: '', ...(e.sig ? { sig: e.sig } : {}) }; break;
        case 'usage': this.usage = e.usage; break;
        case 'finish': this.stop = e.stop; break;
        case 'error':
          this.done = true;
          out.push(...DIALECT.gemini.streamError(e.status, e.message));
          break;
      }
    }
    return out;
  }

  /** The upstream is over: the pending call, then the closing chunk with finishReason and usage. */
  end(): StreamItem[] {
    if (this.done) return [];
    const out: StreamItem[] = [];
    this.flush(out);
    this.done = true;
    const stop = this.stop ?? 'end';
    out.push({
      data: {
        candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: geminiFinish(stop === 'end' && this.calls ? 'tool_use' : stop), index: 0 }],
        usageMetadata: geminiUsageOut(this.usage),
        modelVersion: this.model,
        responseId: this.id,
      },
    });
    return out;
  }

  error(message: string, status = 502): StreamItem[] {
    if (this.done) return [];
    this.done = true;
    return DIALECT.gemini.streamError(status, message);
  }

  private flush(out: StreamItem[]): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    this.calls++;
    this.emit(out, [{ type: 'tool_call', id: p.id, name: p.name, args: parseToolArguments(p.json), ...(p.sig ? { sig: p.sig } : {}) }]);
  }

  private emit(out: StreamItem[], parts: Parameters<typeof geminiPartOut>[0][]): void {
    const gp: GeminiPart[] = [];
    for (const p of parts) {
      const g = geminiPartOut(p);
      if (g) gp.push(g);
    }
    if (!gp.length) return;
    out.push({ data: { candidates: [{ content: { role: 'model', parts: gp }, index: 0 }], modelVersion: this.model, responseId: this.id } });
  }
}
