// The jllm chat page: conversations live on the server (Conversations API), answers stream from the
// Responses API over SSE; Stop aborts the request and the server cancels the generation.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { model: null, conversation: null, abort: null };

function headers(json) {
  const h = {};
  if (json) h['Content-Type'] = 'application/json';
  const key = localStorage.getItem('jllm.key');
  if (key) h.Authorization = 'Bearer ' + key;
  return h;
}

async function api(method, path, body) {
  const r = await fetch(path, { method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((j.error && j.error.message) || `${method} ${path}: HTTP ${r.status}`);
  return j;
}

function showError(e) {
  const el = $('error');
  if (!e) { el.hidden = true; el.textContent = ''; return; }
  el.hidden = false;
  el.textContent = String(e.message || e);
}

function addMessage(role, text) {
  const div = document.createElement('div');
  div.className = 'msg ' + role;
  div.dataset.role = role;
  div.textContent = text;
  $('messages').appendChild(div);
  div.scrollIntoView({ block: 'end' });
  return div;
}

const itemText = (it) => (it.content || []).map((c) => c.text || '').join('');
// function calls and their outputs (Responses API tools) show as the assistant's call and the tool's answer
const itemRole = (it) => it.type === 'function_call' ? 'assistant' : it.type === 'function_call_output' ? 'tool' : it.role;
const itemShown = (it) => it.type === 'function_call' ? `${it.name}(${it.arguments})`
  : it.type === 'function_call_output' ? `${it.call_id} → ${it.output}` : itemText(it);
const titleOf = (c) => (c.metadata && c.metadata.title) || c.id;

async function loadConversations() {
  const list = await api('GET', '/v1/conversations?limit=100');
  const ul = $('conversations');
  ul.replaceChildren();
  for (const c of list.data) {
    const li = document.createElement('li');
    li.textContent = titleOf(c);
    li.title = titleOf(c);
    li.dataset.id = c.id;
    if (c.id === (state.conversation && state.conversation.id)) li.className = 'active';
    li.addEventListener('click', () => openConversation(c).catch(showError));
    ul.appendChild(li);
  }
}

async function openConversation(c) {
  if (state.abort) return;
  showError(null);
  state.conversation = c;
  $('title').textContent = c ? titleOf(c) : 'New conversation';
  $('messages').replaceChildren();
  for (const li of $('conversations').children) li.classList.toggle('active', !!c && li.dataset.id === c.id);
  if (!c) return;
  let after = null;
  for (;;) {
    const page = await api('GET', `/v1/conversations/${c.id}/items?order=asc&limit=100` + (after ? `&after=${after}` : ''));
    for (const it of page.data) addMessage(itemRole(it), itemShown(it));
    if (!page.has_more) break;
    after = page.last_id;
  }
}

function busy(on) {
  $('send').disabled = on;
  $('stop').disabled = !on;
  $('new').disabled = on;
}

// Reads a text/event-stream body, calling onEvent(type, data) for each event.
async function readSse(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let type = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) onEvent(type, data.join('\n'));
    }
  }
}

async function send(text) {
  showError(null);
  busy(true);
  let out = null;
  const abort = new AbortController();
  state.abort = abort;
  try {
    if (!state.conversation) {
      state.conversation = await api('POST', '/v1/conversations', { metadata: { title: text.slice(0, 60) } });
      $('title').textContent = titleOf(state.conversation);
      await loadConversations();
    }
    addMessage('user', text);
    out = addMessage('assistant', '');
    out.classList.add('streaming');
    // empty: no limit sent, the answer may use the rest of the context (a limit that does not fit is the server's 400)
    const max = $('max').value === '' ? undefined : parseInt($('max').value, 10);
    const temperature = $('temperature').value === '' ? undefined : Number($('temperature').value);
    const r = await fetch('/v1/responses', {
      method: 'POST',
      headers: headers(true),
      signal: abort.signal,
      body: JSON.stringify({
        model: state.model, conversation: state.conversation.id, input: text, stream: true, max_output_tokens: max, temperature, truncation: 'auto',
      }),
    });
    if (!r.ok) {
      const j = await r.json().catch(() => ({}));
      throw new Error((j.error && j.error.message) || `HTTP ${r.status}`);
    }
    let finished = false;
    await readSse(r, (type, data) => {
      const e = JSON.parse(data);
      if (type === 'response.output_text.delta') {
        out.textContent += e.delta;
        out.scrollIntoView({ block: 'end' });
      } else if (type === 'response.completed' || type === 'response.incomplete') {
        finished = true;
        out.dataset.status = e.response.status;
      } else if (type === 'response.failed' || type === 'error') {
        finished = true;
        const err = (e.response && e.response.error) || e.error || e;
        showError(new Error(err.message || 'the response failed'));
      }
    });
    if (!finished) throw new Error('the stream ended early');
  } catch (e) {
    if (abort.signal.aborted) {
      // Stopped: the server cancelled the generation and stored nothing of this turn.
      if (out) { out.classList.add('stopped'); out.dataset.status = 'stopped'; }
    } else {
      showError(e);
    }
  } finally {
    if (out) out.classList.remove('streaming');
    state.abort = null;
    busy(false);
    $('input').focus();
  }
}

async function init() {
  $('key').value = localStorage.getItem('jllm.key') || '';
  $('key').addEventListener('change', () => {
    localStorage.setItem('jllm.key', $('key').value.trim());
    start().catch(showError);
  });
  $('new').addEventListener('click', () => openConversation(null).then(() => $('input').focus()).catch(showError));
  $('stop').addEventListener('click', () => state.abort && state.abort.abort());
  $('composer').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = $('input').value.trim();
    if (!text || state.abort) return;
    $('input').value = '';
    send(text);
  });
  $('input').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) {
      ev.preventDefault();
      $('composer').requestSubmit();
    }
  });
  await start();
}

async function start() {
  const models = await api('GET', '/v1/models');
  state.model = models.data[0].id;
  $('model').textContent = '· ' + state.model;
  await loadConversations();
  document.body.dataset.ready = 'true';
}

init().catch(showError);
