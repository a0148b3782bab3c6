// Dates as oci-common really hands them over: each Last-Modified header goes through the SDK's own
// conversion (convertStringToType, the code path of every Date-typed response header) in several time
// zones, at the hours where its unpadded, local-time output breaks `new Date` or shifts the instant.
import { convertStringToType } from 'oci-common';
import { afterEach, describe, expect, it } from 'vitest';
import { ociDate } from '../../../../src/adapters/oci/dates.js';

const ZONES = ['UTC', 'Asia/Kolkata', 'America/Los_Angeles', 'Pacific/Chatham', 'Pacific/Pago_Pago'];
const INSTANTS = ['2026-12-01T00:05:07.000Z', '2026-12-01T09:59:59.000Z', '2026-12-01T23:59:00.000Z', '2026-06-30T10:00:00.000Z'];
const zoneBefore = process.env.TZ;

/** Node rereads TZ when it is assigned: Date's local getters follow at once. */
function inZone(zone: string): void {
  process.env.TZ = zone;
}

afterEach(() => {
  if (zoneBefore === undefined) delete process.env.TZ;
  else process.env.TZ = zoneBefore;
});

describe('ociDate', () => {
  for (const zone of ZONES) {
    it(`recovers Last-Modified from oci-common's header conversion in ${zone}`, () => {
      inZone(zone);
      for (const instant of INSTANTS) {
        const header = new Date(instant).toUTCString(); // what Object Storage sends
        const converted = convertStringToType(header, 'Date') as unknown;
        expect(ociDate(converted, 'header'), `${instant} seen as ${String(converted)}`).toBe(instant);
      }
    });
  }

  it('pins the SDK behaviour it corrects: unpadded hour, local fields, a Z suffix', () => {
    inZone('UTC');
    expect(convertStringToType('Tue, 01 Dec 2026 08:21:49 GMT', 'Date')).toBe('2026-12-01T8:21:49Z');
    expect(Number.isNaN(new Date('2026-12-01T8:21:49Z').getTime())).toBe(true);
    inZone('Asia/Kolkata');
    expect(convertStringToType('Tue, 01 Dec 2026 08:21:49 GMT', 'Date')).toBe('2026-12-01T13:51:49Z');
  });

  it('reads JSON body dates as the RFC 3339 they are, whatever the zone', () => {
    for (const zone of ZONES) {
      inZone(zone);
      expect(ociDate('2026-12-01T08:21:49.123Z', 'body')).toBe('2026-12-01T08:21:49.123Z');
      expect(ociDate('2026-12-01T13:51:49+05:30', 'body')).toBe('2026-12-01T08:21:49.000Z');
      // A body date is never taken for the SDK's local header form.
      expect(ociDate('2026-12-01T08:21:49Z', 'body')).toBe('2026-12-01T08:21:49.000Z');
    }
  });

  it('takes Date objects as they are and answers undefined for what is not a date', () => {
    expect(ociDate(new Date('2026-01-02T03:04:05Z'), 'body')).toBe('2026-01-02T03:04:05.000Z');
    for (const value of [undefined, null, '', 'yesterday', 42, new Date(Number.NaN), '2026-13-45T99:00:00Z']) {
      expect(ociDate(value, 'header')).toBeUndefined();
      expect(ociDate(value, 'body')).toBeUndefined();
    }
  });
});
