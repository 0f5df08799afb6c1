// Twilio's unmodified @twilio/conversations 3.0.1 against a running chinwag (tests/test_realtime.py
// starts the server and passes CHINWAG_URL and the account). Several real clients plus REST.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Client } from "@twilio/conversations";
import {
  collect,
  connect,
  conversationWith,
  joined,
  next,
  relay,
  rest,
  run,
  shutdownAll,
  sleep,
  token,
  track,
  until,
  v1,
  wsUri,
} from "./helpers.mjs";

after(shutdownAll);

describe("connecting", () => {
  test("a client reaches initialized and sees its REST conversations", async () => {
    const alice = `alice-${run}-a`;
    const conv = await conversationWith(alice);
    const client = await connect(alice);
    assert.equal(client.user.identity, alice);
    const found = await joined(client, conv.sid);
    assert.equal(found.friendlyName, conv.friendlyName);
    assert.equal(found.status, "joined");
  });

  test("a first connection creates the User", async () => {
    const identity = `newcomer-${run}`;
    await connect(identity);
    const user = await v1.users(identity).fetch();
    assert.equal(user.identity, identity);
  });

  test("a conversation joined later fires conversationJoined without reconnecting", async () => {
    const alice = `alice-${run}-b`;
    const client = await connect(alice);
    const conv = await v1.conversations.create({ friendlyName: "later" });
    const seen = next(client, "conversationJoined", (c) => c.sid === conv.sid);
    await v1.conversations(conv.sid).participants.create({ identity: alice });
    const c = await seen;
    assert.equal(c.friendlyName, "later");
  });
});

describe("tokens", () => {
  async function refused(tokenText) {
    const client = track(new Client(tokenText, { twilsock: { uri: wsUri() }, logLevel: "silent" }));
    const error = await next(client, "connectionError", () => true, 15000);
    return error;
  }

  test("a token signed with another secret is refused with 20107", async () => {
    const error = await refused(await token(`mallory-${run}`, { secret: "x".repeat(32) }));
    assert.equal(error.terminal, true);
    assert.equal(error.httpStatusCode, 401);
    assert.equal(error.errorCode, 20107);
  });

  test("an expired token is refused with 20104", async () => {
    const error = await refused(await token(`late-${run}`, { ttl: -600 }));
    assert.equal(error.httpStatusCode, 401);
    assert.equal(error.errorCode, 20104);
  });

  test("a token of a foreign service is refused", async () => {
    const error = await refused(await token(`foreign-${run}`, { service: "IS" + "0".repeat(32) }));
    assert.equal(error.httpStatusCode, 401);
    assert.ok([20106, 20101].includes(error.errorCode), `errorCode ${error.errorCode}`);
  });

  test("garbage is refused", async () => {
    const error = await refused("not-a-jwt");
    assert.equal(error.httpStatusCode, 401);
    assert.ok(error.errorCode >= 20101 && error.errorCode <= 20107, `errorCode ${error.errorCode}`);
  });

  test("tokenAboutToExpire, updateToken, and tokenExpired at expiry without an update", async () => {
    const identity = `refresh-${run}`;
    const client = await connect(identity, { ttl: 8 });
    await next(client, "tokenAboutToExpire", () => true, 10000);
    await client.updateToken(await token(identity, { ttl: 6 }));
    const expired = next(client, "tokenExpired", () => true, 15000);
    await expired;
  });
});

describe("token of another user", () => {
  test("updateToken with another identity's token is refused", async () => {
    const identity = `swap-${run}`;
    const client = await connect(identity);
    await client.getSubscribedConversations(); // its start-up reads done: a refusal ends the socket
    const refused = next(client, "connectionError", () => true, 10000);
    await client.updateToken(await token(`someone-else-${run}`)).catch(() => {});
    const error = await refused;
    assert.equal(error.httpStatusCode, 401);
    assert.equal(error.errorCode, 20107);
  });
});

describe("messages", () => {
  test("sendMessage stores the message; every member's client gets messageAdded", async () => {
    const alice = `alice-${run}-m`;
    const bob = `bob-${run}-m`;
    const conv = await conversationWith(alice, bob);
    const [ca, cb] = await Promise.all([connect(alice), connect(bob)]);
    const [a, b] = await Promise.all([joined(ca, conv.sid), joined(cb, conv.sid)]);
    const atBob = next(b, "messageAdded", (m) => m.body === "hello");
    const atAlice = next(a, "messageAdded", (m) => m.body === "hello");
    const index = await a.sendMessage("hello", { kind: "greeting" });
    const [mb] = await Promise.all([atBob, atAlice]);
    assert.equal(mb.author, alice);
    assert.equal(mb.index, index);
    assert.deepEqual(mb.attributes, { kind: "greeting" });
    const stored = await v1.conversations(conv.sid).messages.list();
    assert.equal(stored.length, 1);
    assert.equal(stored[0].author, alice);
    assert.equal(stored[0].index, index);
    assert.deepEqual(JSON.parse(stored[0].attributes), { kind: "greeting" });

    const fromRest = next(a, "messageAdded", (m) => m.body === "from rest");
    const fromRestB = next(b, "messageAdded", (m) => m.body === "from rest");
    await v1.conversations(conv.sid).messages.create({ author: "system", body: "from rest" });
    await Promise.all([fromRest, fromRestB]);
  });

  test("getMessages pages history; updates and removals reach the client", async () => {
    const alice = `alice-${run}-h`;
    const conv = await conversationWith(alice);
    const sent = [];
    for (let i = 0; i < 35; i++) sent.push(await v1.conversations(conv.sid).messages.create({ author: "x", body: `m${i}` }));
    const client = await connect(alice);
    const c = await joined(client, conv.sid);
    const page = await c.getMessages();
    assert.equal(page.items.length, 30);
    assert.equal(page.items.at(-1).body, "m34");
    assert.ok(page.hasPrevPage);
    const older = await page.prevPage();
    assert.deepEqual(older.items.map((m) => m.body), ["m0", "m1", "m2", "m3", "m4"]);

    const updated = next(c, "messageUpdated", ({ message }) => message.index === sent[34].index);
    await v1.conversations(conv.sid).messages(sent[34].sid).update({ body: "edited" });
    assert.equal((await updated).message.body, "edited");
    const removed = next(c, "messageRemoved", (m) => m.index === sent[33].index);
    await v1.conversations(conv.sid).messages(sent[33].sid).remove();
    await removed;
  });

  test("a client edits and removes its own message", async () => {
    const alice = `alice-${run}-e`;
    const conv = await conversationWith(alice);
    const client = await connect(alice);
    const c = await joined(client, conv.sid);
    const added = next(c, "messageAdded", (m) => m.body === "draft");
    await c.sendMessage("draft");
    const message = await added;
    const updated = next(c, "messageUpdated", ({ message: m }) => m.body === "final");
    await message.updateBody("final");
    await updated;
    assert.equal((await v1.conversations(conv.sid).messages(message.sid).fetch()).body, "final");
    await message.remove();
    await until(async () => (await v1.conversations(conv.sid).messages.list()).length === 0, 5000, "removed");
  });
});

describe("client-made conversations", () => {
  test("createConversation, join, add a participant, leave, delete", async () => {
    const alice = `alice-${run}-c`;
    const dave = `dave-${run}`;
    const client = await connect(alice);
    const made = await client.createConversation({ friendlyName: "from the client", attributes: { topic: "x" } });
    const rest = await v1.conversations(made.sid).fetch();
    assert.equal(rest.friendlyName, "from the client");
    assert.deepEqual(JSON.parse(rest.attributes), { topic: "x" });
    await made.join();
    await made.add(dave);
    const ids = (await v1.conversations(made.sid).participants.list()).map((p) => p.identity).sort();
    assert.deepEqual(ids, [alice, dave].sort());
    const other = await connect(dave);
    const atDave = await joined(other, made.sid);
    const gone = next(other, "conversationLeft", (c) => c.sid === made.sid);
    await atDave.leave();
    await gone;
    assert.equal((await v1.conversations(made.sid).participants.list()).length, 1);
    await made.getParticipants(); // alice's streams are open before the conversation goes
    const removed = next(client, "conversationRemoved", (c) => c.sid === made.sid);
    await made.delete();
    await removed;
    await assert.rejects(v1.conversations(made.sid).fetch());
  });
});

describe("more client actions", () => {
  test("counts, notification level, participant and message attributes, unique names", async () => {
    const alice = `alice-${run}-k`;
    const bob = `bob-${run}-k`;
    const conv = await v1.conversations.create({ friendlyName: "counts", uniqueName: `uniq-${run}` });
    for (const identity of [alice, bob]) await v1.conversations(conv.sid).participants.create({ identity });
    await v1.conversations(conv.sid).messages.create({ author: bob, body: "one" });
    const client = await connect(alice);
    const c = await joined(client, conv.sid);
    assert.equal(await c.getParticipantsCount(), 2);
    assert.equal(await c.getMessagesCount(), 1);
    assert.equal((await client.getConversationByUniqueName(`uniq-${run}`)).sid, conv.sid);

    await c.setUserNotificationLevel("muted");
    assert.equal((await v1.users(alice).userConversations(conv.sid).fetch()).notificationLevel, "muted");

    const me = await c.getParticipantByIdentity(alice);
    await me.updateAttributes({ seat: 7 });
    const stored = await v1.conversations(conv.sid).participants(me.sid).fetch();
    assert.deepEqual(JSON.parse(stored.attributes), { seat: 7 });

    const added = next(c, "messageAdded", (m) => m.body === "tagged");
    await c.sendMessage("tagged");
    const message = await added;
    const updated = next(c, "messageUpdated", ({ message: m, updateReasons }) => m.sid === message.sid && updateReasons.includes("attributes"));
    await message.updateAttributes({ pinned: true });
    await updated;
    assert.deepEqual(JSON.parse((await v1.conversations(conv.sid).messages(message.sid).fetch()).attributes), { pinned: true });

    const [bobsMessage] = (await c.getMessages()).items.filter((m) => m.author === bob);
    await assert.rejects(bobsMessage.updateBody("not mine"), (e) => e.status === 403 || e.code === 50107 || /403/.test(String(e)));
  });
});

describe("media", () => {
  test("a client sends a file; another client reads it", async () => {
    const alice = `alice-${run}-f`;
    const bob = `bob-${run}-f`;
    const conv = await conversationWith(alice, bob);
    const [ca, cb] = await Promise.all([connect(alice), connect(bob)]);
    const [a, b] = await Promise.all([joined(ca, conv.sid), joined(cb, conv.sid)]);
    const bytes = Buffer.from("a picture, as far as anyone can tell");
    const atBob = next(b, "messageAdded", (m) => m.type === "media");
    await a.sendMessage({ contentType: "image/png", filename: "pic.png", media: bytes });
    const message = await atBob;
    assert.equal(message.author, alice);
    const [media] = message.attachedMedia;
    assert.equal(media.filename, "pic.png");
    assert.equal(media.contentType, "image/png");
    assert.equal(media.size, bytes.length);
    const url = await media.getContentTemporaryUrl();
    const fetched = Buffer.from(await (await fetch(url)).arrayBuffer());
    assert.deepEqual(fetched, bytes);
  });
});

describe("read horizon", () => {
  test("setAllMessagesRead, advance, unread count agree with REST; a REST move reaches the client", async () => {
    const alice = `alice-${run}-r`;
    const conv = await conversationWith(alice);
    for (let i = 0; i < 4; i++) await v1.conversations(conv.sid).messages.create({ author: "x", body: `u${i}` });
    const client = await connect(alice);
    const c = await joined(client, conv.sid);
    await v1.users(alice).userConversations(conv.sid).update({ lastReadMessageIndex: 0 });
    await until(async () => (await c.getUnreadMessagesCount()) === 3, 5000, "3 unread");
    await c.advanceLastReadMessageIndex(2);
    let uc = await v1.users(alice).userConversations(conv.sid).fetch();
    assert.equal(uc.lastReadMessageIndex, 2);
    assert.equal(uc.unreadMessagesCount, 1);
    await c.setAllMessagesRead();
    uc = await v1.users(alice).userConversations(conv.sid).fetch();
    assert.equal(uc.lastReadMessageIndex, 3);
    assert.equal(uc.unreadMessagesCount, 0);
    await until(async () => (await c.getUnreadMessagesCount()) === 0, 5000, "0 unread");

    const moved = next(c, "updated", ({ updateReasons }) => updateReasons.includes("lastReadMessageIndex"));
    await v1.users(alice).userConversations(conv.sid).update({ lastReadMessageIndex: 1 });
    await moved;
    assert.equal(c.lastReadMessageIndex, 1);
  });
});

describe("typing, participants, updates", () => {
  test("typing in one client fires typingStarted and typingEnded in another", async () => {
    const alice = `alice-${run}-t`;
    const bob = `bob-${run}-t`;
    const conv = await conversationWith(alice, bob);
    const [ca, cb] = await Promise.all([connect(alice), connect(bob)]);
    const [a, b] = await Promise.all([joined(ca, conv.sid), joined(cb, conv.sid)]);
    await b.getParticipants();
    await sleep(500); // the client subscribes ~100 ms after it opened the conversation
    const started = next(b, "typingStarted", (p) => p.identity === alice);
    await a.typing();
    await started;
    await next(b, "typingEnded", (p) => p.identity === alice, 15000);
    const events = await v1.conversations(conv.sid).messages.list();
    assert.equal(events.length, 0, "typing is not a message");
  });

  test("participants added and removed over REST fire participantJoined/Left", async () => {
    const alice = `alice-${run}-p`;
    const conv = await conversationWith(alice);
    const client = await connect(alice);
    const c = await joined(client, conv.sid);
    const carol = `carol-${run}`;
    const joinedEvent = next(c, "participantJoined", (p) => p.identity === carol);
    const made = await v1.conversations(conv.sid).participants.create({ identity: carol });
    const p = await joinedEvent;
    assert.equal(p.sid, made.sid);
    const left = next(c, "participantLeft", (x) => x.identity === carol);
    await v1.conversations(conv.sid).participants(made.sid).remove();
    await left;
  });

  test("conversation and user changes fire updated both ways", async () => {
    const alice = `alice-${run}-u`;
    const conv = await conversationWith(alice);
    const client = await connect(alice);
    const c = await joined(client, conv.sid);
    const renamed = next(c, "updated", ({ updateReasons }) => updateReasons.includes("friendlyName"));
    await v1.conversations(conv.sid).update({ friendlyName: "renamed over REST" });
    await renamed;
    assert.equal(c.friendlyName, "renamed over REST");
    await c.updateFriendlyName("renamed by the client");
    assert.equal((await v1.conversations(conv.sid).fetch()).friendlyName, "renamed by the client");

    const userUpdated = next(client.user, "updated", ({ updateReasons }) => updateReasons.includes("friendlyName"));
    await v1.users(alice).update({ friendlyName: "Alice A." });
    await userUpdated;
    assert.equal(client.user.friendlyName, "Alice A.");
    await client.user.updateAttributes({ team: "blue" });
    assert.deepEqual(JSON.parse((await v1.users(alice).fetch()).attributes), { team: "blue" });
  });
});

describe("reconnect", () => {
  test("every event committed while the socket was down arrives once after reconnection", async () => {
    const alice = `alice-${run}-x`;
    const conv = await conversationWith(alice);
    const link = await relay(process.env.CHINWAG_URL);
    try {
      const client = await connect(alice, { uri: wsUri(link.url) });
      const c = await joined(client, conv.sid);
      const added = collect(c, "messageAdded");
      await v1.conversations(conv.sid).messages.create({ author: "x", body: "before" });
      await until(() => added.length === 1, 5000, "the first message");
      const down = next(client, "connectionStateChanged", (s) => s !== "connected", 10000);
      link.cut(true);
      await down;
      for (let i = 0; i < 3; i++) await v1.conversations(conv.sid).messages.create({ author: "x", body: `away${i}` });
      link.cut(false);
      await until(() => added.length >= 4, 30000, "the messages posted while away");
      await sleep(500);
      assert.deepEqual(added.map((m) => m.body), ["before", "away0", "away1", "away2"]);
    } finally {
      link.close();
    }
  });
});

describe("webhooks", () => {
  test("a client's send fires pre- and post-events as the SDK; a pre-event veto rejects it", async () => {
    const http = await import("node:http");
    const { serviceSid } = await import("./helpers.mjs");
    const received = [];
    const receiver = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        received.push(form);
        res.writeHead(form.EventType === "onMessageAdd" && form.Body === "veto me" ? 403 : 200);
        res.end();
      });
    });
    await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
    const hook = `http://127.0.0.1:${receiver.address().port}/hook`;
    const service = await serviceSid();
    const webhooks = v1.services(service).configuration.webhooks();
    await webhooks.update({ preWebhookUrl: hook, postWebhookUrl: hook, method: "POST", filters: ["onMessageAdd", "onMessageAdded"] });
    try {
      const alice = `alice-${run}-w`;
      const conv = await conversationWith(alice);
      const client = await connect(alice);
      const c = await joined(client, conv.sid);
      await c.sendMessage("hooked");
      await until(() => received.some((f) => f.EventType === "onMessageAdded" && f.Body === "hooked"), 10000, "post-event");
      const pre = received.find((f) => f.EventType === "onMessageAdd" && f.Body === "hooked");
      const post = received.find((f) => f.EventType === "onMessageAdded" && f.Body === "hooked");
      for (const form of [pre, post]) {
        assert.equal(form.Source, "SDK");
        assert.equal(form.ClientIdentity, alice);
        assert.equal(form.Author, alice);
        assert.equal(form.ConversationSid, conv.sid);
      }
      await assert.rejects(c.sendMessage("veto me"));
      const bodies = (await v1.conversations(conv.sid).messages.list()).map((m) => m.body);
      assert.deepEqual(bodies, ["hooked"]);
    } finally {
      await webhooks.update({ preWebhookUrl: "", postWebhookUrl: "", filters: [] });
      receiver.close();
    }
  });
});

describe("reachability", () => {
  test("with ReachabilityEnabled a connected user is online, in other clients and over REST", async () => {
    const { serviceSid } = await import("./helpers.mjs");
    const service = await serviceSid();
    await v1.services(service).configuration().update({ reachabilityEnabled: true });
    try {
      const alice = `alice-${run}-o`;
      const bob = `bob-${run}-o`;
      await conversationWith(alice, bob);
      const cb = await connect(bob);
      assert.equal((await v1.users(alice).fetch().catch(() => null))?.isOnline ?? false, false);
      const ca = await connect(alice);
      await until(async () => (await v1.users(alice).fetch()).isOnline === true, 5000, "alice online over REST");
      const seen = await cb.getUser(alice);
      await until(() => seen.isOnline === true, 5000, "alice online in bob's client");
      await ca.getSubscribedConversations(); // its start-up reads done: shutting down mid-way rejects them
      const offline = next(seen, "updated", ({ updateReasons }) => updateReasons.includes("reachabilityOnline"));
      await ca.shutdown();
      await offline;
      assert.equal(seen.isOnline, false);
      assert.equal((await v1.users(alice).fetch()).isOnline, false);
    } finally {
      await v1.services(service).configuration().update({ reachabilityEnabled: false });
    }
  });
});
