// The local stack's preview page (src/preview) on 127.0.0.1, without a key. A nicety, not a part the
// stack needs: when its port is taken the stack says so in one line and runs without it.
import type { Client } from '@temporalio/client';
import { ENV_NAMES, type Config } from '../config.js';
import type { ObjectStore } from '../ports.js';
import { startPreviewServer, type PreviewServer } from '../preview/server.js';
import { DEV_HOST } from './dev-server.js';

export async function startStackPreview(config: Config, client: Client, store: ObjectStore, webUiUrl: string, log: (line: string) => void): Promise<PreviewServer | undefined> {
  try {
    return await startPreviewServer({ client, store, layout: config, webUiUrl, port: config.dev.previewPort, host: DEV_HOST });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    log(`[stack] no preview page: port ${config.dev.previewPort} is in use (set ${ENV_NAMES['dev.previewPort']} to another port)`);
    return undefined;
  }
}
