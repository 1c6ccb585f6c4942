// @ts-check
/**
 * The operator API as the page uses it: calls to `/api/v1` on the master that served the page
 * (always the leader: a standby redirects the browser there) and the SUBSCRIBE event stream.
 */
import { RecordIoDecoder } from './recordio.js';

/** @typedef {Record<string, any>} Json */

/**
 * An error for a non-2xx answer, with the server's explanation (meso answers errors as text).
 * @param {Response} response
 */
async function failure(response) {
  const text = (await response.text()).trim();
  return new Error(`HTTP ${response.status}${text === '' ? '' : `: ${text}`}`);
}

/**
 * Makes an operator API call and returns its payload (`get_agents` of GET_AGENTS).
 * @param {string} type
 * @param {AbortSignal} [signal]
 * @returns {Promise<Json>}
 */
export async function call(type, signal) {
  const response = await post({ type }, signal);
  const answer = await response.json();
  return answer[type.toLowerCase()] ?? {};
}

/**
 * @param {Json} body
 * @param {AbortSignal} [signal]
 */
async function post(body, signal) {
  const response = await fetch('/api/v1', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) throw await failure(response);
  return response;
}

/**
 * Subscribes to the operator event stream and hands each event to `onEvent` until the stream
 * ends, fails or `signal` aborts. Resolves when the stream ends; rejects on failure.
 * @param {(event: Json) => void} onEvent
 * @param {AbortSignal} signal
 */
export async function subscribe(onEvent, signal) {
  const response = await post({ type: 'SUBSCRIBE' }, signal);
  if (response.body === null) throw new Error('the event stream has no body');
  const reader = response.body.getReader();
  const decoder = new RecordIoDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const event of decoder.push(value)) onEvent(/** @type {Json} */ (event));
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * GETs JSON from an agent (its `/state`, `/files/read`), which allows the page's origin.
 * @param {string} url
 * @param {AbortSignal} [signal]
 * @returns {Promise<unknown>}
 */
export async function getJson(url, signal) {
  const response = await fetch(url, { signal });
  if (!response.ok) throw await failure(response);
  return response.json();
}
