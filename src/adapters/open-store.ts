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
  createOciObjectStore(env: NodeJS.ProcessEnv, options?: { namespace?: string }): ObjectStore | Promise<ObjectStore>;
}

// A variable specifier: the OCI adapter is optional at build time and loaded only when used.
const OCI_STORE_MODULE = './oci/object-store.js';

async function loadOciStore(env: NodeJS.ProcessEnv, namespace: string): Promise<ObjectStore> {
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
  // The uri names the namespace: no getNamespace round trip, and no surprise if the tenancy's differs.
  return module.createOciObjectStore(env, { namespace });
}

/** Releases a store's connections (the OCI store keeps clients open), so the process can exit. */
export async function closeStore(store: ObjectStore): Promise<void> {
  const closable = store as ObjectStore & { close?: () => Promise<void> | void };
  if (typeof closable.close === 'function') await closable.close();
}

export async function openStore(location: StoreLocation, env: NodeJS.ProcessEnv = process.env): Promise<ObjectStore> {
  if (location.kind === 'local') return new LocalFolderStore(location.root);
  const setting = env[STORE_ENV]?.trim() || 'oci';
  if (setting.startsWith('local:')) {
    const dir = setting.slice('local:'.length);
    if (!dir) throw new StoreConfigError(`${STORE_ENV}=local: needs a folder, e.g. local:.data/buckets`);
    return new LocalFolderStore(dir, location.namespace);
  }
  if (setting === 'oci') return loadOciStore(env, location.namespace);
  throw new StoreConfigError(`${STORE_ENV}=${setting}: expected "oci" or "local:<dir>"`);
}
