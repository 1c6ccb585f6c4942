/**
 * A stand-in for the master's scheduler endpoint, for tests of frameworks and of the SDK itself:
 * it records every call and lets the test script each answer (stream events, status codes,
 * redirects). Speaks RecordIO like the real one; knows nothing else about Mesos.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeRecord } from '../../transport/recordio.js';

/** What the stand-in saw of one request. */
export interface ReceivedCall {
  readonly url: string;
  readonly streamId: string | undefined;
  readonly call: {
    readonly type: string;
    readonly framework_id?: { value: string };
    readonly [key: string]: unknown;
  };
}

/** Answers one request; `nth` counts the calls of this type so far, this one included (from 1). */
export type FakeMasterHandler = (received: ReceivedCall, res: ServerResponse, nth: number) => void;

export class FakeMaster implements AsyncDisposable {
  readonly received: ReceivedCall[] = [];

  private constructor(
    private readonly server: Server,
    /** Base URL, e.g. `http://127.0.0.1:40123`. */
    readonly url: string,
  ) {}

  static async start(handler: FakeMasterHandler): Promise<FakeMaster> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const master = new FakeMaster(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void readBody(req).then((text) => {
        const streamId = req.headers['mesos-stream-id'];
        const received: ReceivedCall = {
          url: `${master.url}${req.url ?? ''}`,
          streamId: typeof streamId === 'string' ? streamId : undefined,
          call: JSON.parse(text) as ReceivedCall['call'],
        };
        master.received.push(received);
        handler(received, res, master.callsOf(received.call.type).length);
      });
    });
    return master;
  }

  callsOf(type: string): ReceivedCall[] {
    return this.received.filter((r) => r.call.type === type);
  }

  /** Closes every connection, open streams included. */
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

/** Answers a SUBSCRIBE: opens the stream and writes `events`; it stays open until `res.end()`. */
export function openStream(res: ServerResponse, streamId: string, ...events: object[]): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Mesos-Stream-Id': streamId });
  writeEvents(res, ...events);
}

/** Writes more events on an open stream. */
export function writeEvents(res: ServerResponse, ...events: object[]): void {
  for (const event of events) res.write(encodeRecord(JSON.stringify(event)));
}

/** The master's answer to any accepted non-SUBSCRIBE call. */
export function accepted(res: ServerResponse): void {
  res.writeHead(202).end();
}

export const subscribedEvent = (frameworkId: string, heartbeatSeconds = 15): object => ({
  type: 'SUBSCRIBED',
  subscribed: {
    framework_id: { value: frameworkId },
    heartbeat_interval_seconds: heartbeatSeconds,
    master_info: { id: 'm1', ip: 16777343, port: 5050, hostname: 'm1' },
  },
});
