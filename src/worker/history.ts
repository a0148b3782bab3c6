// Reads a history exported by `temporal workflow show --output json` into the History the replayer takes,
// with the SDK's own converter. (It needs one protobufjs 8 shared by @temporalio/common and
// @temporalio/proto: package.json names protobufjs so that npm hoists that one instead of grpc's 7.)
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';

export class HistoryFormatError extends Error {
  override readonly name = 'HistoryFormatError';
}

export function historyFromJson(json: unknown): ReturnType<typeof historyFromJSON> {
  const events = (json as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length === 0) {
    throw new HistoryFormatError('not a workflow history (no "events" array): export one with `temporal workflow show -w <id> --output json`');
  }
  return historyFromJSON(json);
}
