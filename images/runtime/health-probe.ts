/**
 * The images' HEALTHCHECK: `node health-probe.js <default-port> [path]` exits 0 when
 * `http://127.0.0.1:<port><path>` answers 2xx within 3 s, 1 otherwise. The port is `MESO_PORT`
 * when set (the daemons' `--port`), else the default; the path defaults to `/health`.
 *
 * Node rather than curl or wget: the images carry no HTTP client, and one more binary would cost
 * more than the probe's ~50 ms of CPU every interval.
 */
const [defaultPort, path = '/health'] = process.argv.slice(2);
const port = process.env.MESO_PORT ?? defaultPort;
if (port === undefined) {
  process.stderr.write('usage: health-probe.js <default-port> [path]\n');
  process.exit(2);
}

try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3000) });
  process.exit(response.ok ? 0 : 1);
} catch (err) {
  process.stderr.write(`health probe failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
