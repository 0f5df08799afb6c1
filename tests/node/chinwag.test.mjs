// End-to-end: the official `twilio` npm package against a running chinwag.
// Run by tests/test_twilio_node.py (pytest), which starts the server and passes
// CHINWAG_URL, CHINWAG_ACCOUNT_SID and CHINWAG_AUTH_TOKEN (a fresh account).
// Cases for routes the server does not implement yet are skipped, judged from the server's own
// GET /openapi.json, so they switch on by themselves when the routes land.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import twilio from "twilio";

const url = process.env.CHINWAG_URL;
const accountSid = process.env.CHINWAG_ACCOUNT_SID;
const authToken = process.env.CHINWAG_AUTH_TOKEN;
assert.ok(url && accountSid && authToken, "CHINWAG_URL, CHINWAG_ACCOUNT_SID and CHINWAG_AUTH_TOKEN are required");

const client = twilio(accountSid, authToken);
client.conversations.baseUrl = url;
const v1 = client.conversations.v1;
const run = `${process.pid}-${Date.now()}`;

let implemented = new Set();
before(async () => {
  const response = await fetch(`${url}/openapi.json`);
  assert.equal(response.status, 200);
  const spec = await response.json();
  implemented = new Set(
    Object.entries(spec.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => ["get", "post", "delete"].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    ),
  );
});

const has = (...ops) => ops.every((op) => implemented.has(op));

async function rejects(promise, status, code) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.constructor.name, "RestException", `not a RestException: ${err}`);
    assert.equal(err.status, status, `status: ${err.status} ${err.message}`);
    assert.equal(err.code, code, `code: ${err.code} ${err.message}`);
    assert.equal(err.moreInfo, `https://www.twilio.com/docs/errors/${code}`);
    assert.equal(typeof err.message, "string");
    return true;
  });
}

describe("users", () => {
  test("create, fetch by sid and identity, update, delete", async () => {
    const identity = `node-alice-${run}`;
    const user = await v1.users.create({ identity, friendlyName: "Alice", attributes: JSON.stringify({ a: 1 }) });
    assert.match(user.sid, /^US[0-9a-f]{32}$/);
    assert.equal(user.identity, identity);
    assert.equal(user.friendlyName, "Alice");
    assert.deepEqual(JSON.parse(user.attributes), { a: 1 });
    assert.match(user.roleSid, /^RL[0-9a-f]{32}$/);
    assert.equal(user.accountSid, accountSid);
    assert.ok(user.dateCreated instanceof Date && !Number.isNaN(user.dateCreated.getTime()), "dateCreated parsed");
    assert.equal(user.url, `${url}/v1/Users/${user.sid}`);
    assert.deepEqual(user.links, { user_conversations: `${url}/v1/Users/${user.sid}/Conversations` });

    const bySid = await v1.users(user.sid).fetch();
    const byIdentity = await v1.users(identity).fetch();
    assert.equal(bySid.sid, user.sid);
    assert.equal(byIdentity.sid, user.sid);
    assert.equal(bySid.dateCreated.getTime(), user.dateCreated.getTime());

    const updated = await v1.users(user.sid).update({ friendlyName: "Alice A.", attributes: "[1, 2]" });
    assert.equal(updated.friendlyName, "Alice A.");
    assert.equal(updated.attributes, "[1, 2]");
    assert.equal(updated.identity, identity);

    assert.equal(await v1.users(user.sid).remove(), true);
    await rejects(v1.users(user.sid).fetch(), 404, 20404);
  });

  test("service-scoped users use the service's URLs", async () => {
    const service = await v1.services.create({ friendlyName: `node-${run}` });
    const user = await v1.services(service.sid).users.create({ identity: "scoped" });
    assert.equal(user.chatServiceSid, service.sid);
    assert.equal(user.url, `${url}/v1/Services/${service.sid}/Users/${user.sid}`);
    const listed = await v1.services(service.sid).users.list();
    assert.deepEqual(
      listed.map((u) => u.sid),
      [user.sid],
    );
    assert.equal(await v1.services(service.sid).remove(), true);
  });

  test("errors carry Twilio's code and status", async () => {
    const identity = `node-dup-${run}`;
    await v1.users.create({ identity });
    await rejects(v1.users.create({ identity }), 409, 50201);
    await rejects(v1.users.create({ identity: "" }), 400, 20001);
    await rejects(v1.users("USffffffffffffffffffffffffffffffff").fetch(), 404, 20404);
    await rejects(v1.users.create({ identity: "x", attributes: "{not json" }), 400, 50304);
    const stranger = twilio(accountSid, "0".repeat(32));
    stranger.conversations.baseUrl = url;
    await rejects(stranger.conversations.v1.users.list(), 401, 20003);
  });
});

describe("paging", () => {
  test("list(), each() and page().nextPage() walk every page on this server", async () => {
    const service = await v1.services.create({ friendlyName: `node-paging-${run}` });
    const users = v1.services(service.sid).users;
    const made = [];
    for (let i = 0; i < 7; i++) {
      made.push((await users.create({ identity: `p${String(i).padStart(2, "0")}` })).sid);
    }

    const listed = await users.list({ pageSize: 3 });
    assert.deepEqual(
      listed.map((u) => u.sid),
      made,
    );

    const limited = await users.list({ pageSize: 2, limit: 5 });
    assert.deepEqual(
      limited.map((u) => u.sid),
      made.slice(0, 5),
    );

    const seen = [];
    await users.each({ pageSize: 3 }, (u) => seen.push(u.sid));
    assert.deepEqual(seen, made);

    let page = await users.page({ pageSize: 3 });
    const walked = [];
    const pageUrls = [];
    for (;;) {
      walked.push(...page.instances.map((u) => u.sid));
      pageUrls.push(page.nextPageUrl);
      const next = await page.nextPage();
      if (!next) break;
      page = next;
    }
    assert.deepEqual(walked, made);
    assert.equal(pageUrls.length, 3);
    for (const next of pageUrls.slice(0, 2)) {
      assert.ok(next.startsWith(`${url}/v1/Services/${service.sid}/Users?`), `next_page_url on this server: ${next}`);
    }
    assert.equal(pageUrls[2], undefined);
    const back = await page.previousPage();
    assert.deepEqual(
      back.instances.map((u) => u.sid),
      made.slice(3, 6),
    );
  });

  test("a page beyond the end is empty, not an error", async () => {
    const service = await v1.services.create({ friendlyName: `node-empty-${run}` });
    const page = await v1.services(service.sid).users.page({ pageSize: 5 });
    assert.deepEqual(page.instances, []);
    assert.equal(page.nextPageUrl, undefined);
  });
});

describe("user conversations", () => {
  const needed = [
    "POST /v1/Conversations",
    "POST /v1/Conversations/{ConversationSid}/Participants",
    "GET /v1/Users/{UserSid}/Conversations",
    "POST /v1/Users/{UserSid}/Conversations/{ConversationSid}",
    "DELETE /v1/Users/{UserSid}/Conversations/{ConversationSid}",
  ];

  test("list, update and delete a user's conversations", async (t) => {
    if (!has(...needed)) {
      t.skip(`routes not implemented yet: ${needed.filter((op) => !implemented.has(op)).join(", ")}`);
      return;
    }
    const identity = `node-uc-${run}`;
    const user = await v1.users.create({ identity });
    const conversations = [];
    for (const name of ["first", "second", "third"]) {
      const conversation = await v1.conversations.create({ friendlyName: name });
      await v1.conversations(conversation.sid).participants.create({ identity });
      conversations.push(conversation.sid);
    }

    const listed = await v1.users(user.sid).userConversations.list({ pageSize: 2 });
    assert.deepEqual(
      listed.map((uc) => uc.conversationSid),
      conversations,
    );
    const first = listed[0];
    assert.equal(first.userSid, user.sid);
    assert.equal(first.friendlyName, "first");
    assert.match(first.participantSid, /^MB[0-9a-f]{32}$/);
    assert.equal(first.url, `${url}/v1/Users/${user.sid}/Conversations/${conversations[0]}`);
    assert.match(first.dateCreated.toISOString(), /Z$/);

    const byIdentity = await v1.users(identity).userConversations.list();
    assert.equal(byIdentity.length, 3);

    const muted = await v1.users(user.sid).userConversations(conversations[1]).update({ notificationLevel: "muted" });
    assert.equal(muted.notificationLevel, "muted");
    const fetched = await v1.users(user.sid).userConversations(conversations[1]).fetch();
    assert.equal(fetched.notificationLevel, "muted");

    assert.equal(await v1.users(user.sid).userConversations(conversations[0]).remove(), true);
    const after = await v1.users(user.sid).userConversations.list();
    assert.deepEqual(
      after.map((uc) => uc.conversationSid),
      conversations.slice(1),
    );
    await rejects(v1.users(user.sid).userConversations(conversations[0]).fetch(), 404, 20404);
  });
});

describe("API keys (the 2010 Keys resource)", () => {
  test("a key made through client.api authenticates as its account, until deleted", async () => {
    const admin = twilio(accountSid, authToken);
    admin.api.baseUrl = url;
    const keys = admin.api.v2010.accounts(accountSid);
    const key = await keys.newKeys.create({ friendlyName: `node-${run}` });
    assert.match(key.sid, /^SK[0-9a-f]{32}$/);
    assert.ok(key.secret);
    const fetched = await keys.keys(key.sid).fetch();
    assert.equal(fetched.friendlyName, `node-${run}`);
    assert.equal(fetched.secret, undefined);
    assert.ok((await keys.keys.list()).some((k) => k.sid === key.sid));

    const keyed = twilio(key.sid, key.secret, { accountSid });
    keyed.conversations.baseUrl = url;
    const user = await keyed.conversations.v1.users.create({ identity: `keyed-${run}` });
    assert.equal(user.accountSid, accountSid);

    assert.equal(await keys.keys(key.sid).remove(), true);
    await rejects(keyed.conversations.v1.users(user.sid).fetch(), 401, 20003);
  });
});
