// The chat page at / in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
//   node web-chat.mjs BASE_URL SCREENSHOT.png SLOW_BASE_URL   (stories260K at BASE_URL, a slow model at SLOW_BASE_URL)
// Two turns in one conversation where the second depends on the first (its greedy answer is the one
// the model gives WITH turn 1 in the prompt, not the one it gives without), the conversation listed
// from the server, a screenshot, then Stop mid-answer on the slow server: the generation is cancelled
// and nothing of the stopped turn is stored.
// Exits 0 when every check passes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, screenshot, slow] = process.argv.slice(2);
if (!base || !screenshot || !slow) {
  console.error('usage: node web-chat.mjs BASE_URL SCREENSHOT.png SLOW_BASE_URL');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const MAX = 10; // stories260K's context is 128 tokens: two short turns fit whole

async function api(method, path, body) {
  const r = await fetch(base + path, { method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
  const j = await r.json();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${JSON.stringify(j)}`);
  return j;
}

async function greedy(messages) {
  const r = await api('POST', '/v1/chat/completions', { model: 'stories260K', messages, temperature: 0, max_tokens: MAX });
  return r.choices[0].message.content;
}

const userDataDir = mkdtempSync(join(tmpdir(), 'jllm-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1100, height: 700 },
  timeout: 60_000,
});
try {
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(60_000);
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });

  await page.goto(base + '/');
  await page.waitForSelector('body[data-ready="true"]');
  await page.click('#settings summary');
  await page.fill('#temperature', '0');
  await page.fill('#max', String(MAX));

  const turns = ['Lily had a ball.', 'What did she have?'];
  const answers = [];
  for (const [i, text] of turns.entries()) {
    await page.fill('#input', text);
    await page.press('#input', 'Enter');
    await page.waitForFunction((n) => document.querySelectorAll('.msg.assistant[data-status]').length === n, i + 1);
    answers.push(await page.locator('.msg.assistant').nth(i).textContent());
    console.log(`turn ${i + 1}: ${JSON.stringify(text)} -> ${JSON.stringify(answers[i])}`);
    assert.ok(answers[i].length > 0, `turn ${i + 1} answered`);
  }
  assert.equal(await page.locator('#error').isHidden(), true, await page.locator('#error').textContent());

  // The second turn depends on the first: it is the greedy answer with turn 1 in the prompt.
  const withHistory = await greedy([
    { role: 'user', content: turns[0] }, { role: 'assistant', content: answers[0] }, { role: 'user', content: turns[1] }]);
  const alone = await greedy([{ role: 'user', content: turns[1] }]);
  assert.equal(answers[1], withHistory, 'turn 2 was generated with turn 1 in its prompt');
  assert.notEqual(answers[1], alone, 'without turn 1 the model answers differently');

  // The conversation is on the server and in the list; reopening it shows the same four messages.
  const id = await page.getAttribute('#conversations li.active', 'data-id');
  const list = await api('GET', '/v1/conversations');
  const conv = list.data.find((c) => c.id === id);
  assert.ok(conv, `the page's conversation ${id} is in the server's list`);
  assert.equal(conv.metadata.title, turns[0]);
  const items = await api('GET', `/v1/conversations/${conv.id}/items?order=asc`);
  assert.deepEqual(items.data.map((i) => i.content[0].text), [turns[0], answers[0], turns[1], answers[1]]);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log('screenshot: ' + screenshot);

  await page.click('#new');
  assert.equal(await page.locator('.msg').count(), 0);
  await page.click(`#conversations li[data-id="${conv.id}"]`);
  await page.waitForFunction(() => document.querySelectorAll('.msg').length === 4);
  assert.deepEqual(await page.locator('.msg').allTextContents(), [turns[0], answers[0], turns[1], answers[1]]);

  // Stop, on a slow model (milliseconds per token, so the answer is still coming when Stop is pressed):
  // the page marks the answer stopped, the server cancels the generation and stores nothing of the turn.
  await page.goto(slow + '/');
  await page.waitForSelector('body[data-ready="true"]');
  await page.click('#settings summary');
  await page.fill('#max', '900');
  await page.fill('#input', 'Tell me a long story.');
  await page.press('#input', 'Enter');
  await page.waitForFunction(() => {
    const m = document.querySelector('.msg.assistant.streaming');
    return m && m.textContent.length > 0;
  });
  await page.click('#stop');
  await page.waitForSelector('.msg.assistant.stopped');
  assert.equal(await page.locator('#send').isEnabled(), true);
  const slowId = await page.getAttribute('#conversations li.active', 'data-id');
  let cancelled = 0;
  for (let i = 0; i < 100 && cancelled < 1; i++) {
    const m = (await (await fetch(slow + '/metrics')).text()).match(/^jllm_requests_cancelled_total\{[^}]*\} ([0-9.]+)/m);
    cancelled = m ? Number(m[1]) : 0;
    if (cancelled < 1) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(cancelled >= 1, 'the server counted the stopped generation as cancelled');
  const left = await (await fetch(`${slow}/v1/conversations/${slowId}/items`)).json();
  assert.deepEqual(left.data, [], 'the stopped turn left nothing in the conversation');
  assert.deepEqual(problems, []);
  console.log('web-chat: all passed');
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
