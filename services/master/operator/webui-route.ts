/**
 * Serves the web UI (`services/webui/assets`, plain ES modules, no build step and no external
 * network): `/` is the page, `/webui/...` its scripts and styles. Like every leader-only endpoint,
 * a standby redirects the browser to the leader, so the UI always talks to the leader's origin.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { MesoError } from '../../core/errors.js';
import { sendError } from '../../transport/http-errors.js';

/** Decides whether this master answers a leader-only request; when not, it has already answered. */
export type LeaderGate = (req: Request, res: Response) => boolean | Promise<boolean>;

/**
 * Scripts, styles and data only from this origin; `connect-src` also allows agents, whose
 * `/files/read` the task page tails; nothing may frame the UI.
 */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' http: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // The UI is a handful of small files: always revalidate so an upgraded master serves new ones.
  'Cache-Control': 'no-cache',
} as const;

/**
 * The assets directory: `services/webui/assets` in the tree this file was built from, or in any
 * directory above it (an image may place it next to `dist/`). `undefined` when it is missing.
 */
function findAssets(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'services', 'webui', 'assets');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function webuiRouter(requireLeader: LeaderGate): express.Router {
  const root = findAssets();
  const router = express.Router();
  if (root === undefined) {
    // A master without its UI still serves its APIs.
    router.get(['/', '/webui/{*path}'], (_req, res) =>
      sendError(
        res,
        new MesoError(
          'NOT_FOUND',
          'The web UI is not installed with this master (services/webui/assets is missing)',
        ),
      ),
    );
    return router;
  }
  const leaderOnly = (req: Request, res: Response, next: NextFunction): void => {
    Promise.resolve(requireLeader(req, res)).then(
      (leads) => {
        if (!leads) return;
        res.set(SECURITY_HEADERS);
        next();
      },
      (err: unknown) => next(err),
    );
  };
  router.get('/', leaderOnly, (_req, res) => res.sendFile(join(root, 'index.html')));
  router.use('/webui', leaderOnly, express.static(root, { index: false, fallthrough: true }));
  return router;
}
