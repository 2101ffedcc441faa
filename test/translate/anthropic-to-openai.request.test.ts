import { describe, expect, it } from 'vitest';
import { anthropicToOpenAIRequest, TranslationError } from '../../src/translate/index.js';
import { PNG_B64 } from './helpers.js';

/** Shaped like a Claude Code turn: system blocks with cache_control, a tool loop, metadata, thinking. */
const CLAUDE_CODE = {
  model: 'claude-sonnet-4-5-20250929',
  max_tokens: 32000,
  stream: true,
  temperature: 1,
  metadata: { user_id: 'user_abc_account__session_123' },
  system: [
    { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: 'ephemeral' } },
    { type: 'text', text: 'Working directory: /repo', cache_control: { type: 'ephemeral' } },
  ],
  tools: [
    {
      name: 'Read',
      description: 'Reads a file',
      input_schema: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { file_path: { type: 'string' } },
        required: ['file_path'],
        additionalProperties: false,
      },
    },
    { name: 'Bash', description: 'Runs a command', input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } },
  ],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: '<system-reminder>Context</system-reminder>' },
        { type: 'text', text: 'What does main.ts do?', cache_control: { type: 'ephemeral' } },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'I should read it.', signature: 'EqQBCkYIBxgCKkC' },
        { type: 'text', text: "I'll read both files." },
        { type: 'tool_use', id: 'toolu_01A', name: 'Read', input: { file_path: '/repo/main.ts' } },
        { type: 'tool_use', id: 'toolu_01B', name: 'Bash', input: { command: 'ls' } },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_01A', content: 'console.log(1)' },
        { type: 'tool_result', tool_use_id: 'toolu_01B', content: [{ type: 'text', text: 'ls: permission denied' }], is_error: true },
        { type: 'text', text: 'Also look at this', cache_control: { type: 'ephemeral' } },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } },
      ],
    },
  ],
};

describe('anthropicToOpenAIRequest', () => {
  it('translates a Claude Code tool-loop request', () => {
    const { body, warnings } = anthropicToOpenAIRequest(CLAUDE_CODE, { model: 'qwen/qwen3-coder-480b-a35b-instruct' });
    expect(body).toEqual({
      model: 'qwen/qwen3-coder-480b-a35b-instruct',
      max_tokens: 32000,
      temperature: 1,
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: "You are Claude Code, Anthropic's official CLI for Claude.\n\nWorking directory: /repo" },
        { role: 'user', content: '<system-reminder>Context</system-reminder>\n\nWhat does main.ts do?' },
        {
          role: 'assistant',
          content: "I'll read both files.",
          tool_calls: [
            { id: 'toolu_01A', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/repo/main.ts"}' } },
            { id: 'toolu_01B', type: 'function', function: { name: 'Bash', arguments: '{"command":"ls"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01A', content: 'console.log(1)' },
        { role: 'tool', tool_call_id: 'toolu_01B', content: 'Error: ls: permission denied' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Also look at this' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_B64}` } },
          ],
        },
      ],
      tools: [
        { type: 'function', function: { name: 'Read', description: 'Reads a file', parameters: CLAUDE_CODE.tools[0]?.input_schema } },
        { type: 'function', function: { name: 'Bash', description: 'Runs a command', parameters: CLAUDE_CODE.tools[1]?.input_schema } },
      ],
    });
    expect(warnings).toEqual([]);
  });

  it('maps system as a string, url images, and images returned by tools', () => {
    const { body } = anthropicToOpenAIRequest({
      model: 'm', max_tokens: 10, system: 'Be brief.',
      messages: [
        { role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://x.test/a.png' } }, { type: 'text', text: 'see?' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'screenshot', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } }] }] },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }, { type: 'text', text: 'see?' }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'screenshot', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 't1', content: '[attachments follow in the next user message]' },
      { role: 'user', content: [{ type: 'text', text: '[content returned by tool call t1]' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_B64}` } }] },
    ]);
  });

  it.each([
    [{ type: 'auto' }, 'auto', undefined],
    [{ type: 'any' }, 'required', undefined],
    [{ type: 'none' }, 'none', undefined],
    [{ type: 'tool', name: 'Read' }, { type: 'function', function: { name: 'Read' } }, undefined],
    [{ type: 'auto', disable_parallel_tool_use: true }, 'auto', false],
    [{ type: 'any', disable_parallel_tool_use: true }, 'required', false],
  ])('maps tool_choice %j', (choice, expected, parallel) => {
    const { body } = anthropicToOpenAIRequest({ ...CLAUDE_CODE, tool_choice: choice });
    expect(body.tool_choice).toEqual(expected);
    expect(body.parallel_tool_calls).toBe(parallel);
  });

  it('maps stop_sequences, top_p, output_config.format; drops top_k with a warning', () => {
    const { body, warnings } = anthropicToOpenAIRequest({
      model: 'm', max_tokens: 5, top_p: 0.9, top_k: 40, stop_sequences: ['\n\nHuman:', 'END'],
      output_config: { format: { type: 'json_schema', schema: { type: 'object', properties: { a: { type: 'string' } } } } },
      messages: [{ role: 'user', content: 'hi' }],
    }, { maxTokensField: 'max_completion_tokens' });
    expect(body).toMatchObject({
      max_completion_tokens: 5, top_p: 0.9, stop: ['\n\nHuman:', 'END'],
      response_format: { type: 'json_schema', json_schema: { name: 'response', schema: { type: 'object', properties: { a: { type: 'string' } } }, strict: true } },
    });
    expect(body.max_tokens).toBeUndefined();
    expect(body.stream).toBeUndefined();
    expect(warnings).toEqual(["dropped 'top_k': no OpenAI equivalent"]);
  });

  it.each([
    [1024, 'low'], [4000, 'low'], [10000, 'medium'], [16384, 'medium'], [31999, 'high'],
  ])('maps thinking budget %i to reasoning_effort %s when enabled', (budget, effort) => {
    const req = { ...CLAUDE_CODE, thinking: { type: 'enabled', budget_tokens: budget } };
    expect(anthropicToOpenAIRequest(req, { reasoningEffort: true }).body.reasoning_effort).toBe(effort);
    const off = anthropicToOpenAIRequest(req);
    expect(off.body.reasoning_effort).toBeUndefined();
    expect(off.warnings).toEqual(['dropped extended thinking: reasoning_effort is not enabled for this upstream']);
  });

  it('prefers output_config.effort, and ignores adaptive thinking without effort', () => {
    const req = { ...CLAUDE_CODE, thinking: { type: 'adaptive' }, output_config: { effort: 'high' } };
    expect(anthropicToOpenAIRequest(req, { reasoningEffort: true }).body.reasoning_effort).toBe('high');
    const max = { ...req, output_config: { effort: 'max' } };
    expect(anthropicToOpenAIRequest(max, { reasoningEffort: true }).body.reasoning_effort).toBe('high'); // upstreams know low/medium/high
    const adaptive = anthropicToOpenAIRequest({ ...CLAUDE_CODE, thinking: { type: 'adaptive' } }, { reasoningEffort: true });
    expect(adaptive.body.reasoning_effort).toBeUndefined();
    expect(adaptive.warnings).toEqual([]);
  });

  it('keeps invalid-JSON tool inputs round-trippable and documents, text-documents and PDFs', () => {
    const { body } = anthropicToOpenAIRequest({
      model: 'm', max_tokens: 5,
      messages: [
        { role: 'user', content: [
          { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'notes' }, title: 'a.txt' },
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } },
        ] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: { __raw_arguments: '{"a":' } }] },
      ],
    });
    expect(body.messages[0]).toEqual({ role: 'user', content: [
      { type: 'text', text: 'a.txt\n\nnotes' },
      { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'document.pdf' } },
    ] });
    expect(body.messages[1]).toMatchObject({ tool_calls: [{ function: { arguments: '{"a":' } }] });
  });

  it('warns about prefill and unknown fields', () => {
    const { warnings } = anthropicToOpenAIRequest({
      model: 'm', max_tokens: 5, context_management: { edits: [] },
      messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'The answer is' }],
    });
    expect(warnings).toEqual([
      "dropped unsupported field 'context_management'",
      'assistant prefill: the upstream may answer anew instead of continuing the last assistant message',
    ]);
  });

  it.each([
    [{ tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, "Anthropic-defined tool 'web_search_20250305'"],
    [{ tools: [{ type: 'bash_20250124', name: 'bash' }] }, "Anthropic-defined tool 'bash_20250124'"],
    [{ mcp_servers: [{ type: 'url', url: 'https://mcp.test', name: 'x' }] }, 'mcp_servers'],
    [{ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_1' } }] }] }, "image source 'file'"],
    [{ messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url: 'https://x.test/a.pdf' } }] }] }, "document source 'url'"],
    [{ messages: [{ role: 'assistant', content: [{ type: 'server_tool_use', id: 's', name: 'web_search', input: {} }] }] }, "content block 'server_tool_use'"],
  ])('refuses what OpenAI cannot express: %j', (patch, feature) => {
    const req = { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], ...patch };
    const err = (() => { try { anthropicToOpenAIRequest(req); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(TranslationError);
    expect(err).toMatchObject({ code: 'KMX_ERR_UNTRANSLATABLE', status: 400 });
    expect((err as Error).message).toContain(feature);
  });

  it('rejects a malformed request with KMX_ERR_BAD_REQUEST', () => {
    expect(() => anthropicToOpenAIRequest({ model: 'm' })).toThrow(expect.objectContaining({ code: 'KMX_ERR_BAD_REQUEST', status: 400 }));
    expect(() => anthropicToOpenAIRequest({ model: 'm', messages: [{ role: 'bot', content: 'x' }] })).toThrow(/role/);
  });
});
