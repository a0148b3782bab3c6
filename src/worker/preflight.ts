// Checks a worker makes before it polls, so a deployment mistake fails at start with what to do,
// not later in every run: the namespace must have the search attributes the runs upsert.
import type { NativeConnection } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions.js';

/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD */
const KEYWORD = 2;

export class PreflightError extends Error {
  override readonly name = 'PreflightError';
}

/** Fails with the commands that create missing search attributes; a server that does not let us look is trusted. */
export async function checkSearchAttributes(connection: Pick<NativeConnection, 'operatorService'>, namespace: string, warn: (line: string) => void): Promise<void> {
  let known: Record<string, unknown>;
  try {
    known = (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } catch (error) {
    // Temporal Cloud API keys may not read the operator service: the runs will tell if something is missing.
    warn(`could not list the search attributes of namespace ${namespace} (${(error as Error).message}); assuming TranscodeSource and TranscodeStage exist`);
    return;
  }
  const keys = Object.values(SEARCH_ATTRIBUTES).map((k) => k.name);
  const missing = keys.filter((name) => known[name] === undefined);
  const wrong = keys.filter((name) => known[name] !== undefined && known[name] !== KEYWORD);
  if (missing.length === 0 && wrong.length === 0) return;
  const create = missing.map((name) => `--name ${name} --type Keyword`).join(' ');
  throw new PreflightError(
    [
      missing.length ? `namespace ${namespace} lacks the search attributes ${missing.join(', ')}, which every transcode run sets.` : '',
      missing.length ? `Create them: temporal operator search-attribute create --namespace ${namespace} ${create}` : '',
      missing.length ? `(Temporal Cloud: tcld namespace search-attributes add --namespace ${namespace} ${missing.map((n) => `--search-attribute "${n}=Keyword"`).join(' ')})` : '',
      wrong.length ? `search attributes ${wrong.join(', ')} of namespace ${namespace} are not of type Keyword: delete and create them again as Keyword.` : '',
    ].filter(Boolean).join('\n'),
  );
}
