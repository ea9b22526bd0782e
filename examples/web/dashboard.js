// A live device dashboard: this page is one Kite device. It connects with a token, shows the
// connection's state, lists the messages kited pushes, and answers two commands (ping, set-title).
// Settings come from the query string, so that the same page serves a demo and the browser test:
//   index.html?url=ws://127.0.0.1:7443/kite&device=dash-1&token=kite1....[&max_retry_ms=5000]
// A real app gets its token from its own backend instead (docs/web-sdk.md): a token in a URL ends
// up in the history and in logs.
import { KiteClient, Reason, reasonName } from './kite-web.min.js';

const params = new URLSearchParams(location.search);
const statusBadge = document.getElementById('status');
const reconnectCount = document.getElementById('reconnects');
const transportLabel = document.getElementById('transport');
const title = document.getElementById('title');
const messageList = document.getElementById('messages');
const activityList = document.getElementById('activity');

/** Lists keep their newest entries only, so that a long-lived page does not grow without bound. */
const MAX_LIST_ENTRIES = 500;

/** Appends a line made of spans; text goes in with textContent, never as HTML (payloads are untrusted). */
function appendLine(list, parts, attributes = {}) {
  const item = document.createElement('li');
  for (const [name, value] of Object.entries(attributes)) item.setAttribute(name, value);
  for (const [className, text] of parts) {
    const span = document.createElement('span');
    span.className = className;
    span.textContent = text;
    item.append(span, ' ');
  }
  list.append(item);
  while (list.children.length > MAX_LIST_ENTRIES) list.firstElementChild.remove();
}

/** Adds a line to the activity log; the same line again (a retry failing the same way) only counts up. */
function logActivity(text) {
  const last = activityList.lastElementChild;
  if (last && last.querySelector('.text').textContent === text) {
    const repeats = Number(last.dataset.repeats ?? 1) + 1;
    last.dataset.repeats = String(repeats);
    last.querySelector('.time').textContent = `${new Date().toLocaleTimeString()} (x${repeats})`;
    return;
  }
  appendLine(activityList, [['time', new Date().toLocaleTimeString()], ['text', text]]);
}

// --- connection state: a badge, a retry countdown while waiting, a count of reconnect attempts ---

let countdownTimer = null;
let connectAttempts = 0;

function showState(state, text) {
  statusBadge.dataset.state = state;
  statusBadge.textContent = text;
}

function startCountdown(retryInMs) {
  const retryAt = Date.now() + retryInMs;
  const tick = () => {
    const seconds = Math.max(0, retryAt - Date.now()) / 1000;
    showState('waiting', `waiting, retry in ${seconds.toFixed(1)} s`);
  };
  tick();
  countdownTimer = setInterval(tick, 100);
}

/** What the badge's neighbour says for the SDK's transports (state detail.transport). */
const TRANSPORT_NAMES = {
  websocket: 'WebSocket',
  sse: 'HTTP fallback (event stream)',
  poll: 'HTTP fallback (long-poll)',
};

/** Shows which transport the session uses: a page stuck on the slower HTTP fallback should say so. */
function showTransport(state, transport) {
  if (!transport) return; // 'connecting' and 'stopped' carry none: keep what the last state said
  transportLabel.dataset.transport = transport;
  transportLabel.textContent = `${state === 'open' ? 'over' : 'next try over'} ${TRANSPORT_NAMES[transport]}`;
}

function onStateChange(state, detail) {
  clearInterval(countdownTimer);
  countdownTimer = null;
  if (state === 'connecting') {
    connectAttempts += 1;
    reconnectCount.textContent = String(connectAttempts - 1); // the first attempt is no reconnect
  }
  if (state === 'waiting') startCountdown(detail.retryInMs ?? 0);
  else showState(state, state === 'open' && detail.resumed ? 'open (resumed)' : state);
  showTransport(state, detail.transport);
  if (state === 'open') logActivity(detail.resumed ? 'session open, resumed' : 'session open');
  // Why a connection ended is the one thing a user of a dashboard wants to see when it goes red.
  if ((state === 'waiting' || state === 'stopped') && detail.reason !== undefined) {
    logActivity(`connection ended: ${whyEnded(detail)}`);
  }
}

/** A Kite reason (ServerShutdown, AuthFailed...) and its message; a dropped socket has only the message. */
function whyEnded({ reason, message }) {
  if (reason === Reason.NormalClose && message) return message;
  return message ? `${reasonName(reason)} (${message})` : reasonName(reason);
}

// --- commands: what an admin (or another service) asks the page through kited ---

/** Each handler takes the command's text and returns the reply ({status, payload}). */
const commandHandlers = {
  ping: () => ({ status: 0, payload: 'pong' }),
  'set-title': (text) => {
    const newTitle = text.trim();
    if (!newTitle) return { status: 400, payload: 'set-title wants the new title as its payload' };
    title.textContent = newTitle;
    return { status: 0, payload: newTitle };
  },
};

function answerCommand(command) {
  const handler = commandHandlers[command.name];
  const reply = handler
    ? handler(command.text())
    : { status: 404, payload: `unknown command ${command.name}; this page knows ${Object.keys(commandHandlers).join(', ')}` };
  logActivity(`command ${command.name} "${command.text()}" -> status ${reply.status}: ${reply.payload}`);
  return reply;
}

// --- start ---

function requiredParam(name) {
  const value = params.get(name);
  if (!value) throw new Error(`missing ?${name}= in the page's address (see README.md)`);
  return value;
}

function main() {
  const deviceId = requiredParam('device');
  document.getElementById('device').textContent = deviceId;
  const options = { url: requiredParam('url'), deviceId, token: requiredParam('token') };
  // Optional: a shorter ceiling on the reconnect delay than the SDK's 30 s (the test uses it).
  if (params.has('max_retry_ms')) options.backoffMaxMs = Number(params.get('max_retry_ms'));
  const client = new KiteClient(options);
  client.on('state', onStateChange);
  client.on('message', (message) => {
    const attributes = { 'data-seq': String(message.seq) };
    appendLine(messageList, [['seq', `#${message.seq}`], ['topic', message.topic || '-'], ['text', message.text()]], attributes);
    // Returning acknowledges the message: kited then drops it from the device's queue.
  });
  client.on('command', answerCommand);
  // Auto mode moved to the other transport (e.g. a proxy refused the WebSocket upgrade): say why.
  client.on('transport', (transport, why) => logActivity(`switched to ${TRANSPORT_NAMES[transport]}: ${why}`));
  client.on('error', (err) => console.warn('kite:', reasonName(err.reason), err.message));
  client.start();
}

try {
  main();
} catch (err) {
  showState('stopped', 'not started');
  logActivity(String(err.message ?? err));
}
