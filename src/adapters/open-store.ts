// The ObjectStore behind a location. Local paths are folders. oci:// locations use the store the
// environment names, so the local stack can run the transcoder with exactly a container's arguments:
//   OCI_TRANSCODE_STORE=local:<dir>  folders under <dir> (buckets are its subfolders)
//   OCI_TRANSCODE_STORE=oci          Object Storage (the default)
import type { ObjectStore } from '../ports.js';
import { LocalFolderStore } from './local/object-store.js';
import type { StoreLocation } from './uri.js';

export const STORE_ENV = 'OCI_TRANSCODE_STORE';

export class StoreConfigError extends Error {
  override readonly name = 'StoreConfigError';
}

interface OciStoreModule {
  createOciObjectStore(env: NodeJS.ProcessEnv): ObjectStore | Promise<ObjectStore>;
}

// A variable specifier: the OCI adapter is optional at build time and loaded only when used.
const OCI_STORE_MODULE = './oci/object-store.js';

async function loadOciStore(env: NodeJS.ProcessEnv): Promise<ObjectStore> {
  let module: OciStoreModule;
  try {
    module = (await import(OCI_STORE_MODULE)) as OciStoreModule;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes('oci/object-store')) {
      throw new StoreConfigError(`the OCI Object Storage adapter (src/adapters/oci/object-store.ts) is not available; set ${STORE_ENV}=local:<dir> to use folders`);
    }
    throw error;
  }
  return module.createOciObjectStore(env);
}

export async function openStore(location: StoreLocation, env: NodeJS.ProcessEnv = process.env): Promise<ObjectStore> {
  if (location.kind === 'local') return new LocalFolderStore(location.root);
  const setting = env[STORE_ENV]?.trim() || 'oci';
  if (setting.startsWith('local:')) {
    const dir = setting.slice('local:'.length);
    if (!dir) throw new StoreConfigError(`${STORE_ENV}=local: needs a folder, e.g. local:.data/buckets`);
    return new LocalFolderStore(dir, location.namespace);
  }
  if (setting === 'oci') return loadOciStore(env);
  throw new StoreConfigError(`${STORE_ENV}=${setting}: expected "oci" or "local:<dir>"`);
}
