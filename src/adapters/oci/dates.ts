// Every date an OCI client hands us goes through ociDate(): what the SDK types as `Date` is a string at
// run time, and for response headers a wrong one. oci-common converts Date-typed headers (HeadObject's
// Last-Modified, ...) with formatDateToRFC3339, which reads the LOCAL wall-clock fields, leaves the hour
// unpadded and appends 'Z': at 08:21:49 UTC a UTC worker gets "2026-12-01T8:21:49Z" (which `new Date`
// rejects), a worker in Kolkata "2026-12-01T13:51:49Z" (valid, and 5.5 h off). Reading those fields back
// as local time recovers the instant exactly (to the second, all the header carries), except within the
// repeated hour when a zone leaves daylight saving time. JSON body fields (timeCreated, timeExpires, ...)
// arrive as the service's own RFC 3339 strings and are parsed as such.
// tests/unit/adapters/oci/dates.test.ts runs oci-common's own conversion under several zones and hours,
// so a fixed (or differently broken) SDK shows up there first.

/** Where the value came from: a Date-typed response header (converted by oci-common) or a JSON body. */
export type OciDateSource = 'header' | 'body';

const SDK_HEADER_FORM = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})Z$/;

function valid(date: Date): string | undefined {
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * The instant as an ISO 8601 UTC string, or undefined when the value is absent or not a date (callers
 * treat dates as facts to show or compare, never as a reason to fail an operation).
 */
export function ociDate(value: unknown, source: OciDateSource): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value instanceof Date) return valid(value);
  if (typeof value !== 'string') return undefined;
  const sdk = source === 'header' ? SDK_HEADER_FORM.exec(value) : null;
  if (sdk) {
    const fields = sdk.slice(1).map(Number) as [number, number, number, number, number, number];
    const [year, month, day, hour, minute, second] = fields;
    const local = new Date(year, month - 1, day, hour, minute, second);
    // Date rolls impossible fields over (month 13, hour 99): the SDK never writes them, so refuse them.
    const back = [local.getFullYear(), local.getMonth() + 1, local.getDate(), local.getHours(), local.getMinutes(), local.getSeconds()];
    return back.every((n, i) => n === fields[i]) ? valid(local) : undefined;
  }
  // RFC 3339 from a JSON body, or an HTTP date should a header ever arrive unconverted.
  return valid(new Date(value));
}
