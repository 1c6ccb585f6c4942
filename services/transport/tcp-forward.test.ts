import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { silentLogger } from '../log/logger.js';
import { startTcpForwarder } from './tcp-forward.js';

/** An upper-casing echo server on a free loopback port (or on `port`). */
async function upperEcho(port = 0): Promise<Server> {
  const server = createServer((socket) =>
    socket.on('data', (data) => socket.write(data.toString().toUpperCase())),
  );
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

const portOf = (server: Server): number => (server.address() as { port: number }).port;

/** Sends `text` through `port` and resolves with the first answer, or `closed` if the connection ends first. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    socket.once('data', (data) => {
      resolve(data.toString());
      socket.destroy();
    });
    socket.once('close', () => resolve('closed'));
    socket.once('error', () => undefined);
  });
}

describe('startTcpForwarder', () => {
  it('pipes connections to the target, survives the target going away, and finds it again', async () => {
    let target = await upperEcho();
    const targetPort = portOf(target);
    const forwarder = await startTcpForwarder({
      listenHost: '127.0.0.1',
      listenPort: 0,
      targetHost: '127.0.0.1',
      targetPort,
      log: silentLogger,
    });
    try {
      assert.equal(await roundTrip(forwarder.port, 'hello'), 'HELLO');
      await new Promise((resolve) => target.close(resolve));
      assert.equal(await roundTrip(forwarder.port, 'anyone?'), 'closed');
      target = await upperEcho(targetPort);
      assert.equal(await roundTrip(forwarder.port, 'back'), 'BACK');
    } finally {
      await forwarder.close();
      await new Promise((resolve) => target.close(resolve));
    }
  });
});
