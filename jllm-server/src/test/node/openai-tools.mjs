// The official openai npm SDK against a running jllm server, for issue 12's structured outputs and
// tool calls: node openai-tools.mjs BASE_URL MODEL (BASE_URL like http://127.0.0.1:8080/v1). The
// server runs a random-weight model: every check holds because decoding is constrained, not because
// the model is good. Exits 0 when every check passes, 1 with the reason.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const [baseURL, model] = process.argv.slice(2);
if (!baseURL || !model) {
  console.error('usage: node openai-tools.mjs BASE_URL MODEL');
  process.exit(2);
}
const client = new OpenAI({ baseURL, apiKey: process.env.JLLM_API_KEY || 'unused', timeout: 120_000, maxRetries: 0 });

import { onJllm, jllmOnly, check } from './suite.mjs';

// A small JSON Schema validator for the keywords these checks use (type, enum, const, properties,
// required, additionalProperties, items, minItems, maxItems, minimum, maximum, minLength, maxLength).
function validate(schema, v, path = '$') {
  const fail = (msg) => { throw new Error(`${path}: ${msg} (value ${JSON.stringify(v)})`); };
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) fail(`not one of ${JSON.stringify(schema.enum)}`);
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(v)) fail(`not ${JSON.stringify(schema.const)}`);
  const t = schema.type;
  if (t === 'object') {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('not an object');
    for (const k of schema.required || []) if (!(k in v)) fail(`missing '${k}'`);
    for (const [k, x] of Object.entries(v)) {
      const ps = (schema.properties || {})[k];
      if (ps) validate(ps, x, `${path}.${k}`);
      else if (schema.additionalProperties === false) fail(`unexpected '${k}'`);
    }
  } else if (t === 'array') {
    if (!Array.isArray(v)) fail('not an array');
    if (schema.minItems !== undefined && v.length < schema.minItems) fail(`fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && v.length > schema.maxItems) fail(`more than ${schema.maxItems} items`);
    if (schema.items) v.forEach((x, i) => validate(schema.items, x, `${path}[${i}]`));
  } else if (t === 'string') {
    if (typeof v !== 'string') fail('not a string');
    const n = [...v].length;
    if (schema.minLength !== undefined && n < schema.minLength) fail(`shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && n > schema.maxLength) fail(`longer than ${schema.maxLength}`);
  } else if (t === 'integer' || t === 'number') {
    if (typeof v !== 'number' || (t === 'integer' && !Number.isInteger(v))) fail(`not an ${t}`);
    if (schema.minimum !== undefined && v < schema.minimum) fail(`below ${schema.minimum}`);
    if (schema.maximum !== undefined && v > schema.maximum) fail(`above ${schema.maximum}`);
  } else if (t === 'boolean') {
    if (typeof v !== 'boolean') fail('not a boolean');
  }
}

// nested: an object inside an object, an enum, an array of bounded strings
const pet = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 12 },
    kind: { enum: ['cat', 'dog', 'bird'] },
    tags: { type: 'array', items: { type: 'string', maxLength: 8 }, minItems: 1, maxItems: 3 },
    owner: {
      type: 'object',
      properties: { age: { type: 'integer', minimum: 0, maximum: 120 }, city: { enum: ['Paris', 'Oslo', 'Lima'] }, verified: { type: 'boolean' } },
      required: ['age', 'city', 'verified'],
      additionalProperties: false,
    },
  },
  required: ['name', 'kind', 'tags', 'owner'],
  additionalProperties: false,
};
const messages = [{ role: 'user', content: 'Describe a pet as JSON.' }];
const jsonSchema = { type: 'json_schema', json_schema: { name: 'pet', schema: pet, strict: true } };

await check('chat json_schema (nested, enum, array) parses and validates', async () => {
  for (const seed of [1, 2, 3]) {
    const r = await client.chat.completions.create({ model, messages, seed, max_tokens: 400, response_format: jsonSchema });
    assert.equal(r.choices[0].finish_reason, 'stop', `seed ${seed}: ${r.choices[0].message.content}`);
    validate(pet, JSON.parse(r.choices[0].message.content));
  }
});

await check('chat json_schema streamed', async () => {
  const stream = await client.chat.completions.create({ model, messages, seed: 7, max_tokens: 400, response_format: jsonSchema, stream: true });
  let text = '';
  let finish = null;
  for await (const c of stream) {
    text += c.choices[0]?.delta?.content ?? '';
    finish = c.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(finish, 'stop', text);
  validate(pet, JSON.parse(text));
});

await check('chat json_object', async () => {
  const r = await client.chat.completions.create({ model, messages, seed: 4, max_tokens: 300, response_format: { type: 'json_object' } });
  if (r.choices[0].finish_reason === 'stop') {
    const v = JSON.parse(r.choices[0].message.content);
    assert.ok(typeof v === 'object' && v !== null && !Array.isArray(v), 'an object');
  } else {
    assert.equal(r.choices[0].finish_reason, 'length'); // free-form JSON from random weights may run long: then it says so
    assert.ok(r.choices[0].message.content.trimStart().startsWith('{'));
  }
});

await check('responses text.format json_schema (create and the stream helper)', async () => {
  const format = { type: 'json_schema', name: 'pet', schema: pet, strict: true };
  const r = await client.responses.create({ model, input: 'Describe a pet as JSON.', max_output_tokens: 400, text: { format } });
  assert.equal(r.status, 'completed');
  assert.ok(Number.isInteger(r.completed_at) && r.completed_at >= r.created_at, `completed_at ${r.completed_at}`);
  validate(pet, JSON.parse(r.output_text));
  const s = client.responses.stream({ model, input: 'Another pet.', max_output_tokens: 400, text: { format } });
  let deltas = '';
  s.on('response.output_text.delta', (e) => { deltas += e.delta; });
  const done = await s.finalResponse();
  assert.equal(done.output_text, deltas);
  validate(pet, JSON.parse(done.output_text));
});

// ---- tool calls
const weather = {
  type: 'object',
  properties: { city: { enum: ['Paris', 'Oslo'] }, unit: { enum: ['c', 'f'] }, days: { type: 'integer', minimum: 1, maximum: 7 } },
  required: ['city', 'unit', 'days'],
  additionalProperties: false,
};
const add = { type: 'object', properties: { a: { type: 'integer', minimum: 0, maximum: 99 }, b: { type: 'integer', minimum: 0, maximum: 99 } }, required: ['a', 'b'] };
const schemas = { get_weather: weather, add };
const chatTools = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather forecast', parameters: weather, strict: true } },
  { type: 'function', function: { name: 'add', description: 'Adds two numbers', parameters: add } },
];
const respTools = chatTools.map((t) => ({ type: 'function', name: t.function.name, description: t.function.description, parameters: t.function.parameters, strict: t.function.strict ?? false }));
const ask = [{ role: 'user', content: 'What is the weather in Paris?' }];

function validCall(name, args) {
  assert.ok(name in schemas, `known function: ${name}`);
  validate(schemas[name], JSON.parse(args));
}

await check('chat tools: auto answers (text or valid calls)', async () => {
  const r = await client.chat.completions.create({ model, messages: ask, tools: chatTools, tool_choice: 'auto', seed: 1, max_tokens: 24 });
  const m = r.choices[0].message;
  assert.equal(m.role, 'assistant');
  for (const c of m.tool_calls ?? []) validCall(c.function.name, c.function.arguments);
  assert.ok(m.content !== null || (m.tool_calls ?? []).length > 0);
});

let firstCall = null;
await check('chat tools: required', async () => {
  for (const seed of [1, 2]) {
    const r = await client.chat.completions.create({ model, messages: ask, tools: chatTools, tool_choice: 'required', seed, max_tokens: 300 });
    const c = r.choices[0];
    assert.equal(c.finish_reason, 'tool_calls');
    assert.ok(c.message.tool_calls.length >= 1);
    for (const t of c.message.tool_calls) {
      assert.equal(t.type, 'function');
      assert.ok(t.id.length > 0);
      validCall(t.function.name, t.function.arguments);
    }
    firstCall ??= c.message;
  }
});

await check('chat tools: named function, one call', async () => {
  const r = await client.chat.completions.create({
    model, messages: ask, tools: chatTools, tool_choice: { type: 'function', function: { name: 'get_weather' } }, parallel_tool_calls: false, seed: 3, max_tokens: 300,
  });
  const calls = r.choices[0].message.tool_calls;
  assert.equal(calls.length, 1);
  assert.equal(calls[0].function.name, 'get_weather');
  validCall('get_weather', calls[0].function.arguments);
});

await check('chat tools: streamed (the SDK stream helper assembles the deltas)', async () => {
  const s = client.chat.completions.stream({
    model, messages: ask, tools: chatTools, tool_choice: { type: 'function', function: { name: 'add' } }, seed: 5, max_tokens: 300,
  });
  let doneArgs = null;
  s.on('tool_calls.function.arguments.done', (e) => { doneArgs = e.arguments; });
  const final = await s.finalChatCompletion();
  const c = final.choices[0];
  assert.equal(c.finish_reason, 'tool_calls');
  assert.ok(!c.message.content, `no content: ${c.message.content}`);
  for (const t of c.message.tool_calls) {
    assert.equal(t.function.name, 'add');
    validCall('add', t.function.arguments);
  }
  assert.equal(doneArgs, c.message.tool_calls.at(-1).function.arguments);
});

await check('chat tools: a tool result sent back', async () => {
  // the call the 'required' check got back; a written one when it got none (so this check stands on its own)
  firstCall ??= { role: 'assistant', content: null,
    tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"c","days":2}' } }] };
  const results = firstCall.tool_calls.map((t) => ({ role: 'tool', tool_call_id: t.id, content: JSON.stringify({ ok: true, temp: 18 }) }));
  const r = await client.chat.completions.create({
    model, tools: chatTools, seed: 1, max_tokens: 16, messages: [...ask, firstCall, ...results],
  });
  assert.ok(['stop', 'length', 'tool_calls'].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens > 20);
});

await check('responses tools: required → function_call items; the output sent back in a conversation', async () => {
  const conv = onJllm ? await client.conversations.create({}) : null;
  const inConv = conv ? { conversation: conv.id } : {};
  const r = await client.responses.create({ model, ...inConv, input: 'Weather in Paris for 3 days?', tools: respTools, tool_choice: 'required', seed: 2, max_output_tokens: 300 });
  assert.equal(r.status, 'completed');
  const calls = r.output.filter((o) => o.type === 'function_call');
  assert.ok(calls.length >= 1, JSON.stringify(r.output));
  for (const c of calls) {
    assert.ok(c.id && c.call_id, 'ids');
    assert.equal(c.status, 'completed');
    validCall(c.name, c.arguments);
  }
  if (!jllmOnly('the output sent back in a conversation (the Conversations API), KV reuse, stored items')) return;
  const back = await client.responses.create({
    model, conversation: conv.id, tools: respTools, max_output_tokens: 8,
    input: calls.map((c) => ({ type: 'function_call_output', call_id: c.call_id, output: '{"temp": 18}' })),
  });
  assert.ok(['completed', 'incomplete'].includes(back.status));
  assert.ok(back.usage.input_tokens_details.cached_tokens > 0, 'the call turn stayed in the KV cache');
  const items = [];
  for await (const it of client.conversations.items.list(conv.id, { order: 'asc' })) items.push(it);
  const types = items.map((it) => it.type);
  assert.deepEqual(types.slice(0, 1 + 2 * calls.length), ['message', ...calls.map(() => 'function_call'), ...calls.map(() => 'function_call_output')]);
  assert.deepEqual(items.filter((it) => it.type === 'function_call_output').map((it) => it.call_id), calls.map((c) => c.call_id));
});

await check('responses tools: named call streamed (events and the stream helper)', async () => {
  const s = client.responses.stream({ model, input: 'Add 2 and 3', tools: respTools, tool_choice: { type: 'function', name: 'add' }, parallel_tool_calls: false, seed: 6, max_output_tokens: 300 });
  const seen = [];
  let deltas = '';
  s.on('event', (e) => seen.push(e.type));
  s.on('response.function_call_arguments.delta', (e) => { deltas += e.delta; });
  const final = await s.finalResponse();
  const calls = final.output.filter((o) => o.type === 'function_call');
  assert.equal(calls.length, 1, JSON.stringify(final.output));
  assert.equal(calls[0].name, 'add');
  validCall('add', calls[0].arguments);
  assert.equal(deltas, calls[0].arguments);
  for (const t of ['response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.done', 'response.output_item.done', 'response.completed']) {
    assert.ok(seen.includes(t), `${t} in ${seen}`);
  }
  assert.ok(!seen.includes('response.output_text.delta'), 'no call markup as text');
});

await check('responses tools: previous_response_id with the output sent back', async () => {
  const r = await client.responses.create({ model, input: 'Weather?', tools: respTools, tool_choice: { type: 'function', name: 'get_weather' }, seed: 8, max_output_tokens: 300 });
  const call = r.output.find((o) => o.type === 'function_call');
  validCall('get_weather', call.arguments);
  if (jllmOnly('previous_response_id (stored responses)')) {
    const back = await client.responses.create({
      model, previous_response_id: r.id, max_output_tokens: 8, input: [{ type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
    });
    assert.ok(['completed', 'incomplete'].includes(back.status));
  }
  // stateless: the whole exchange resent, the model's own items included
  const again = await client.responses.create({
    model, store: false, tools: respTools, max_output_tokens: 8,
    input: [{ role: 'user', content: 'Weather?' }, ...r.output, { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
  });
  assert.ok(['completed', 'incomplete'].includes(again.status));
});

if (!process.exitCode) console.log('openai-tools: all passed');
