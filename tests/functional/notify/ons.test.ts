// OCI Notifications through the real SDK (oci-ons, opened by openClient) against the OCI stand-in, which
// verifies every request's signature and holds it to deploy/oci-policies.yaml: the notify activity
// publishes the notification to a topic, signed with the worker's key; the message is what a subscriber
// gets. Without the worker's `use ons-topics` grant, for an unknown topic or from an unknown key the
// publish is refused (non-retryable); throttling is retryable.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNotifyActivities, NOTIFICATION_FAILED, NOTIFICATION_REFUSED, type NotifyInput } from '../../../src/activities/notify.js';
import { createOciTopicPublisher } from '../../../src/adapters/oci/notifications.js';
import { loadOciConfig } from '../../../src/config-oci.js';
import { buildNotification, notificationSchema, type RunSummary } from '../../../src/notify/payload.js';
import { makeApiKey, type ApiKey } from '../../oci-stand-in/keys.js';
import { startOciStandIn, type OciStandIn } from '../../oci-stand-in/server.js';

const summary: RunSummary = {
  workflowId: 'transcode/standin/media-in/clip.mp4',
  runId: '0195f3c2-0000-7000-8000-00000000abcd',
  outcome: 'failed',
  source: { namespace: 'standin', bucket: 'media-in', object: 'clip.mp4', etag: 'e-1' },
  dest: { bucket: 'media-out' },
  error: 'media-in/clip.mp4: not a media file: no decodable video or audio stream',
};

let standIn: OciStandIn;
let topicId: string;
let key: ApiKey;

beforeAll(async () => {
  standIn = await startOciStandIn({ buckets: ['media-in', 'media-out'] });
  topicId = standIn.notifications.createTopic('transcode-events', standIn.compartmentId);
  key = standIn.createApiKey();
});
afterAll(async () => standIn?.stop());
afterEach(() => {
  standIn.iam.reset();
  standIn.faults.clear();
});

/** The activity as a worker holds it, signing with `signer` (the SDK's own retries off: the workflow retries). */
function notifyAs(signer: ApiKey) {
  const env = { ...standIn.workerEnv(signer), OCI_TRANSCODE_OCI_MAX_ATTEMPTS: '1' };
  const publisher = createOciTopicPublisher(loadOciConfig(env), env);
  return createNotifyActivities({ webhookSecret: () => Promise.resolve(undefined), topics: () => publisher, allowLocalTargets: false }).notify;
}

const input = (topic = topicId): NotifyInput => ({ target: `ons:${topic}`, from: 'config', summary });
async function run(notify: ReturnType<typeof notifyAs>, i: NotifyInput) {
  try {
    return await new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') }).run(notify, i);
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
}

describe('OCI Notifications', () => {
  it('publishes the notification to the topic, signed with the worker key and allowed by its policy', async () => {
    const verifiedBefore = standIn.stats.verified;
    const result = await run(notifyAs(key), input());
    const [message] = standIn.notifications.messages(topicId);
    expect(result).toEqual({ target: `ons:${topicId}`, eventId: buildNotification(summary).id, messageId: message!.messageId });
    expect(message!.title).toBe('oci-transcode failed: media-in/clip.mp4');
    expect(message!.messageType).toBeUndefined(); // raw text: the JSON message type is deprecated
    expect(notificationSchema.parse(JSON.parse(message!.body))).toEqual(buildNotification(summary));
    const record = standIn.requests.filter((r) => r.operation === 'PublishMessage').at(-1);
    expect(record).toMatchObject({ service: 'notifications', method: 'POST', status: 200, principal: { kind: 'user', user: key.user } });
    expect(record!.path).toBe(`/20181201/topics/${topicId}/messages`);
    expect(standIn.stats.verified).toBe(verifiedBefore + 1);
  });

  it('is refused without the worker grant, naming ONS_TOPIC_PUBLISH', async () => {
    standIn.iam.removeStatement('group oci-transcode-workers to use ons-topics');
    const failure = await run(notifyAs(key), input());
    expect(failure).toMatchObject({ type: NOTIFICATION_REFUSED, nonRetryable: true });
    expect((failure as ApplicationFailure).message).toMatch(/404 NotAuthorizedOrNotFound: .*\(opc-request-id [0-9A-F]+\)/);
    expect(standIn.iam.denials.at(-1)).toMatchObject({ operation: 'PublishMessage', missing: ['ONS_TOPIC_PUBLISH in compartment oci-transcode'] });
  });

  it('refuses an unknown topic and an unknown key; retries a throttled publish', async () => {
    const unknown = await run(notifyAs(key), input('ocid1.onstopic.oc1.eu-frankfurt-1.doesnotexist'));
    expect(unknown).toMatchObject({ type: NOTIFICATION_REFUSED });
    const rejectedBefore = standIn.stats.rejected;
    const stranger = await run(notifyAs(makeApiKey(key.tenancy)), input());
    expect(stranger).toMatchObject({ type: NOTIFICATION_REFUSED });
    expect((stranger as ApplicationFailure).message).toMatch(/401 NotAuthenticated/);
    expect(standIn.stats.rejected).toBe(rejectedBefore + 1);

    standIn.faults.throttle(1, { operation: 'PublishMessage' });
    const before = standIn.notifications.messages(topicId).length;
    const throttled = await run(notifyAs(key), input());
    expect(throttled).toMatchObject({ type: NOTIFICATION_FAILED, nonRetryable: false });
    expect(await run(notifyAs(key), input())).toMatchObject({ eventId: buildNotification(summary).id });
    expect(standIn.notifications.messages(topicId)).toHaveLength(before + 1);
  });
});
