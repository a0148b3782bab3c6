// Reads a history exported by `temporal workflow show --output json` into the History the replayer
// takes. The SDK's own historyFromJSON fails in installs where @temporalio/common and @temporalio/proto
// each get a private copy of protobufjs 8 (npm nests them when grpc-js hoists protobufjs 7, as here):
// its protojson then rejects the other copy's types ("type must be a Type"). Converting with the
// protojson of the copy @temporalio/proto itself uses works in every layout.
import { createRequire } from 'node:module';
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.History;
interface ProtoJson {
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
}

// CommonJS on purpose: patchProtobufRoot walks the module object itself, not an ESM namespace.
const require = createRequire(import.meta.url);
const fromProto = createRequire(require.resolve('@temporalio/proto'));
const protojson = fromProto('protobufjs/ext/protojson') as ProtoJson;
const patcher = require('@temporalio/proto/lib/patch-protobuf-root') as { patchProtobufRoot: (root: unknown) => { lookupType: (name: string) => unknown } };
const historyType = patcher.patchProtobufRoot(require('@temporalio/proto')).lookupType('temporal.api.history.v1.History');

export class HistoryFormatError extends Error {
  override readonly name = 'HistoryFormatError';
}

export function historyFromJson(json: unknown): History {
  const events = (json as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length === 0) {
    throw new HistoryFormatError('not a workflow history (no "events" array): export one with `temporal workflow show -w <id> --output json`');
  }
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History | null;
  if (!history) throw new HistoryFormatError('not a workflow history');
  return history;
}
