/**
 * Entry point of the `meso/gateway` image (see `leader-gateway.ts`). Configured by environment:
 *
 *   MESO_GATEWAY_MASTERS   comma-separated `host:port` of every master (required)
 *   MESO_GATEWAY_PORT      port to listen on (default 5050)
 *   MESO_LOG_LEVEL         debug, info, warn or error (default info)
 *
 * Stops on SIGTERM or SIGINT.
 */
import { createLogger, type LogLevel } from '../../services/log/logger.js';
import { startLeaderGateway } from './leader-gateway.js';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

function logLevel(value: string | undefined): LogLevel {
  const level = LOG_LEVELS.find((l) => l === value);
  return level ?? 'info';
}

function mastersFrom(value: string | undefined): string[] {
  const masters = (value ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  if (masters.length === 0)
    throw new Error('MESO_GATEWAY_MASTERS must list the masters, e.g. m1:5050,m2:5050');
  return masters;
}

const log = createLogger(logLevel(process.env.MESO_LOG_LEVEL), { role: 'gateway' });
const gateway = await startLeaderGateway(
  {
    masters: mastersFrom(process.env.MESO_GATEWAY_MASTERS),
    port: Number(process.env.MESO_GATEWAY_PORT ?? '5050'),
  },
  log,
);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void gateway.stop().finally(() => process.exit(0)));
}
