/**
 * A plain TCP forwarder: every connection accepted on one port is piped to a target `host:port`.
 * The target's name is resolved anew for each connection, so a target recreated under the same
 * name with a new address (an upgraded agent container) is found without a restart. A target
 * that refuses or vanishes closes that one client connection; the forwarder keeps serving.
 */
import { connect, createServer, type Socket } from 'node:net';
import type { Logger } from '../log/logger.js';

export interface TcpForwardOptions {
  readonly listenHost: string;
  /** 0 picks a free port. */
  readonly listenPort: number;
  readonly targetHost: string;
  readonly targetPort: number;
  readonly log: Logger;
}

export interface TcpForwarder {
  /** The port actually listened on. */
  readonly port: number;
  /** Stops accepting and cuts every open connection. */
  close(): Promise<void>;
}

export async function startTcpForwarder(options: TcpForwardOptions): Promise<TcpForwarder> {
  const { targetHost, targetPort, log } = options;
  const open = new Set<Socket>();
  const track = (socket: Socket): void => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };
  const server = createServer((client) => {
    track(client);
    const target = connect({ host: targetHost, port: targetPort });
    track(target);
    // Either side failing ends both: the client sees its connection close, as with a dead server.
    const fail = (side: string) => (err: Error) => {
      log.debug('forwarded connection failed', {
        side,
        target: `${targetHost}:${targetPort}`,
        err: err.message,
      });
      client.destroy();
      target.destroy();
    };
    client.on('error', fail('client'));
    target.on('error', fail('target'));
    client.pipe(target);
    target.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listenPort, options.listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.listenPort;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
