// The official openai npm SDK against a running jllm server: node openai-compat.mjs BASE_URL
// (BASE_URL like http://127.0.0.1:8080/v1). Exits 0 when every check passes, 1 with the reason.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = process.argv[2];
if (!baseURL) {
  console.error('usage: node openai-compat.mjs BASE_URL');
  process.exit(2);
}
const client = new OpenAI({ baseURL, apiKey: process.env.JLLM_API_KEY || 'unused', timeout: 60_000, maxRetries: 0 });
const model = process.env.JLLM_MODEL || 'stories260K'; // the served model's id (llama-server: its --alias)

// A small budget may end a response at max_output_tokens: then it is 'incomplete' with that reason (OpenAI semantics).
function assertFinished(r) {
  assert.ok(r.status === 'completed' || (r.status === 'incomplete' && r.incomplete_details.reason === 'max_output_tokens'),
    `finished response, got ${r.status} ${JSON.stringify(r.incomplete_details)}`);
  // completed_at: a Unix time when completed, else absent or null (the SDK's Response type)
  if (r.status === 'completed') assert.ok(Number.isInteger(r.completed_at) && r.completed_at >= r.created_at, `completed_at ${r.completed_at}`);
  else assert.equal(r.completed_at ?? null, null);
}

import { check } from './suite.mjs';

const messages = [{ role: 'user', content: 'Once upon a time' }];
let plain = '';

await check('models.list', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, [model]);
});

await check('chat.completions.create', async () => {
  const r = await client.chat.completions.create({ model, messages, temperature: 0, max_tokens: 20 });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices[0].message.role, 'assistant');
  plain = r.choices[0].message.content;
  assert.ok(plain.length > 0, 'non-empty answer');
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

await check('chat.completions.create stream', async () => {
  const stream = await client.chat.completions.create({
    model, messages, temperature: 0, max_tokens: 20, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let usage = null;
  for await (const c of stream) {
    if (c.usage) usage = c.usage;
    if (c.choices.length > 0) {
      text += c.choices[0].delta.content ?? '';
      chunks++;
    }
  }
  assert.equal(text, plain, 'the stream adds up to the non-streamed greedy text');
  assert.ok(chunks > 1, 'more than one chunk');
  assert.ok(usage && usage.completion_tokens > 0, 'usage chunk');
});

await check('chat.completions.stream helper', async () => {
  const runner = client.chat.completions.stream({ model, messages, temperature: 0, max_tokens: 20 });
  const done = await runner.finalChatCompletion();
  assert.equal(done.choices[0].message.content, plain);
});

await check('responses.create with previous_response_id', async () => {
  // stories260K has 128 tokens of context: two turns of 8-token answers fit (a limit that does not fit is a 400, not clamped)
  const first = await client.responses.create({ model, input: 'Lily had a red ball.', temperature: 0, max_output_tokens: 8 });
  assert.equal(first.object, 'response');
  assertFinished(first);
  assert.ok(first.output_text.length > 0);
  const second = await client.responses.create({
    model, input: 'What color was the ball?', previous_response_id: first.id, temperature: 0, max_output_tokens: 8,
  });
  assertFinished(second);
  assert.equal(second.previous_response_id, first.id);
  // The server rebuilt the prompt from stored history: the second prompt holds the first turn too.
  assert.ok(second.usage.input_tokens > first.usage.input_tokens + first.usage.output_tokens,
    `second prompt ${second.usage.input_tokens} tokens includes the first turn (${first.usage.input_tokens}+${first.usage.output_tokens})`);
  const again = await client.responses.retrieve(second.id);
  assert.equal(again.output_text, second.output_text);
}, 'stored responses (previous_response_id, retrieve)');

await check('responses.create stream', async () => {
  const stream = await client.responses.create({ model, input: 'Tom saw a dog.', temperature: 0, max_output_tokens: 16, stream: true });
  let text = '';
  const types = new Set();
  let completed = null;
  for await (const e of stream) {
    types.add(e.type);
    if (e.type === 'response.output_text.delta') text += e.delta;
    if (e.type === 'response.completed' || e.type === 'response.incomplete') completed = e.response;
  }
  assert.ok(types.has('response.created'), [...types].join(','));
  assert.ok(completed, 'response.completed or response.incomplete');
  assertFinished(completed);
  // output_text is the SDK's convenience on non-streamed results; in events the text is in output[].content[]
  const final = completed.output.flatMap((o) => o.content ?? []).filter((c) => c.type === 'output_text').map((c) => c.text).join('');
  assert.ok(text.length > 0);
  assert.equal(text, final);
});

await check('conversations create + items + responses in it', async () => {
  const conv = await client.conversations.create({
    metadata: { topic: 'compat' },
    items: [{ type: 'message', role: 'user', content: 'My name is Sam.' }],
  });
  assert.equal(conv.object, 'conversation');
  assert.ok(conv.id);
  const added = await client.conversations.items.create(conv.id, {
    items: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello Sam.' }] }],
  });
  assert.equal(added.data.length, 1);
  const r = await client.responses.create({ model, conversation: conv.id, input: 'What is my name?', temperature: 0, max_output_tokens: 12 });
  assertFinished(r);
  const items = [];
  for await (const it of client.conversations.items.list(conv.id, { order: 'asc' })) items.push(it);
  assert.equal(items.length, 4, JSON.stringify(items));
  assert.deepEqual(items.map((i) => i.role), ['user', 'assistant', 'user', 'assistant']);
  const text = (i) => i.content.map((c) => c.text).join('');
  assert.equal(text(items[0]), 'My name is Sam.');
  assert.equal(text(items[3]), r.output_text);
  const got = await client.conversations.retrieve(conv.id);
  assert.equal(got.id, conv.id);
  await client.conversations.delete(conv.id);
  await assert.rejects(client.conversations.retrieve(conv.id), (e) => e.status === 404);
}, 'the Conversations API');

await check('errors are OpenAI errors', async () => {
  // OpenAI: 404, code model_not_found (the SDK's NotFoundError)
  await assert.rejects(client.chat.completions.create({ model: 'gpt-4', messages }), (e) => e.status === 404 && e.code === 'model_not_found');
});

if (process.exitCode) console.error('openai-compat: FAILED');
else console.log('openai-compat: all passed');
