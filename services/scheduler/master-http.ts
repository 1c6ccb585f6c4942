/**
 * One POST to the scheduler endpoint, following the master's leader redirects.
 *
 * A non-leading master answers 307 with a protocol-relative `Location: //leader:5050/api/v1/scheduler`;
 * it resolves against the URL just tried, so the scheme carries over. Redirects are followed by hand
 * (not by `fetch`) because the caller must learn where the leader is: every later call of the
 * subscription goes there, since only the leader knows the stream id.
 */
import type { SchedulerCallType } from '../core/v1/scheduler.js';
import { readRecords } from '../transport/recordio.js';
import { describeError, SchedulerCallError, SchedulerError } from './errors.js';

export const SCHEDULER_API_PATH = '/api/v1/scheduler';

/** More hops than any sane deployment needs; beyond it masters disagree about who leads. */
const MAX_REDIRECTS = 5;

export interface SchedulerPost {
  readonly callType: SchedulerCallType;
  readonly body: string;
  /** The `Mesos-Stream-Id` to send; absent only for SUBSCRIBE. */
  readonly streamId?: string;
  readonly signal: AbortSignal;
}

export interface SchedulerResponse {
  /** A 2xx response whose body the caller must consume or cancel. */
  readonly response: Response;
  /** Origin (`http://host:port`) of the master that answered, i.e. the leader. */
  readonly leaderUrl: string;
}

/**
 * POSTs to `<masterUrl>/api/v1/scheduler`, following up to `MAX_REDIRECTS` redirects. Resolves with
 * the 2xx response; throws `SchedulerCallError` for any other status (with the master's body text)
 * and a retryable `SchedulerError` when no master could be reached.
 */
export async function postScheduler(masterUrl: string, post: SchedulerPost): Promise<SchedulerResponse> {
  let url = new URL(SCHEDULER_API_PATH, masterUrl);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await send(url, post);
    const location = response.headers.get('location');
    if (isRedirect(response.status) && location !== null) {
      await response.body?.cancel();
      url = new URL(location, url);
      continue;
    }
    if (response.ok) return { response, leaderUrl: url.origin };
    throw new SchedulerCallError(post.callType, response.status, (await response.text()).trim());
  }
  throw new SchedulerError(
    'MASTER_UNREACHABLE',
    `${post.callType} was redirected more than ${MAX_REDIRECTS} times`,
    {
      retryable: true,
    },
  );
}

const isRedirect = (status: number): boolean => status >= 300 && status < 400;

async function send(url: URL, post: SchedulerPost): Promise<Response> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (post.streamId !== undefined) headers['Mesos-Stream-Id'] = post.streamId;
  try {
    return await fetch(url, {
      method: 'POST',
      headers,
      body: post.body,
      redirect: 'manual',
      signal: post.signal,
    });
  } catch (err) {
    if (post.signal.aborted) {
      throw new SchedulerError('CLOSED', `${post.callType} was abandoned: the client closed`, {
        retryable: false,
        cause: err,
      });
    }
    throw new SchedulerError(
      'MASTER_UNREACHABLE',
      `${post.callType} to ${url.origin} failed: ${describeError(err)}`,
      {
        retryable: true,
        cause: err,
      },
    );
  }
}

export interface OpenSubscription {
  readonly leaderUrl: string;
  /** The `Mesos-Stream-Id` every later call of this subscription must carry. */
  readonly streamId: string;
  /** The stream's records as parsed JSON; ends when the master closes the stream. */
  readonly records: AsyncGenerator<unknown>;
}

/** POSTs a SUBSCRIBE call (JSON text) and checks that the answer is a usable event stream. */
export async function openSubscription(
  masterUrl: string,
  body: string,
  signal: AbortSignal,
): Promise<OpenSubscription> {
  const { response, leaderUrl } = await postScheduler(masterUrl, { callType: 'SUBSCRIBE', body, signal });
  const streamId = response.headers.get('mesos-stream-id');
  if (streamId === null || response.body === null) {
    await response.body?.cancel();
    throw new SchedulerError('PROTOCOL', 'the SUBSCRIBE response has no Mesos-Stream-Id header', {
      retryable: true,
    });
  }
  return { leaderUrl, streamId, records: readRecords(response.body) };
}
