// Shared set-up for the realtime suite: REST (twilio-node), tokens (twilio-node's AccessToken),
// and Twilio's unmodified @twilio/conversations client pointed at chinwag's socket.
import assert from "node:assert/strict";
import net from "node:net";
import twilio from "twilio";
import { Client } from "@twilio/conversations";

export const url = process.env.CHINWAG_URL;
export const accountSid = process.env.CHINWAG_ACCOUNT_SID;
const authToken = process.env.CHINWAG_AUTH_TOKEN;
assert.ok(url && accountSid && authToken, "CHINWAG_URL, CHINWAG_ACCOUNT_SID and CHINWAG_AUTH_TOKEN are required");

export const rest = twilio(accountSid, authToken);
rest.conversations.baseUrl = url;
rest.api.baseUrl = url;
export const v1 = rest.conversations.v1;
export const run = `${process.pid}-${Date.now()}`;
export const wsUri = (base = url) => `${base.replace(/^http/, "ws")}/v3/wsconnect`;

let keyPromise;
export function apiKey() {
  keyPromise ??= rest.api.v2010.accounts(accountSid).newKeys.create({ friendlyName: "realtime tests" });
  return keyPromise;
}

let servicePromise;
export function serviceSid() {
  servicePromise ??= v1.configuration().fetch().then((c) => c.defaultChatServiceSid);
  return servicePromise;
}

export async function token(identity, { ttl = 3600, secret, service } = {}) {
  const key = await apiKey();
  const t = new twilio.jwt.AccessToken(accountSid, key.sid, secret ?? key.secret, { identity, ttl });
  t.addGrant(new twilio.jwt.AccessToken.ChatGrant({ serviceSid: service ?? (await serviceSid()) }));
  return t.toJwt();
}

const clients = [];

// A client that reached `initialized` (rejects on initFailed/connectionError).
export async function connect(identity, { uri = wsUri(), ttl } = {}) {
  const client = new Client(await token(identity, { ttl }), { twilsock: { uri }, logLevel: "silent" });
  clients.push(client);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${identity}: not initialized in 20 s`)), 20000);
    client.on("initialized", () => {
      clearTimeout(timer);
      resolve();
    });
    client.on("initFailed", ({ error }) => {
      clearTimeout(timer);
      reject(new Error(`${identity}: initFailed ${error?.message ?? error}`));
    });
  });
  return client;
}

export function track(client) {
  clients.push(client);
  return client;
}

export async function shutdownAll() {
  await Promise.allSettled(clients.splice(0).map((c) => c.shutdown()));
}

// The next `event` on `emitter` for which `match(...args)` holds.
export function next(emitter, event, match = () => true, ms = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    function handler(...args) {
      if (!match(...args)) return;
      clearTimeout(timer);
      emitter.off(event, handler);
      resolve(args[0]);
    }
    emitter.on(event, handler);
  });
}

// Collects every `event` on `emitter` (for counting deliveries).
export function collect(emitter, event) {
  const seen = [];
  emitter.on(event, (x) => seen.push(x));
  return seen;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function until(check, ms = 10000, what = "condition") {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await sleep(100);
  }
}

// A conversation made over REST with these identities as participants.
export async function conversationWith(...identities) {
  const conv = await v1.conversations.create({ friendlyName: `rt ${run}` });
  for (const identity of identities) await v1.conversations(conv.sid).participants.create({ identity });
  return conv;
}

// The client's conversation once it is joined and its streams are open: the SDK lists a
// conversation before it has subscribed to its messages and roster, and a test that acts on it
// sooner (leaves, deletes) races that subscription.
export async function joined(client, sid) {
  const conversation = await until(async () => {
    const all = await client.getSubscribedConversations();
    return all.items.find((c) => c.sid === sid && c.status === "joined");
  }, 10000, `conversation ${sid} in the client`);
  await conversation.getParticipants();
  return conversation;
}

// A TCP relay in front of the server whose connections the test can cut (a dropped socket).
export async function relay(target) {
  const { hostname, port } = new URL(target);
  const open = new Set();
  let refusing = false;
  const server = net.createServer((inbound) => {
    if (refusing) return inbound.destroy();
    const outbound = net.connect(Number(port), hostname);
    open.add(inbound);
    open.add(outbound);
    inbound.pipe(outbound).pipe(inbound);
    const drop = () => {
      inbound.destroy();
      outbound.destroy();
      open.delete(inbound);
      open.delete(outbound);
    };
    inbound.on("error", drop).on("close", drop);
    outbound.on("error", drop).on("close", drop);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    cut(refuse) {
      refusing = refuse;
      for (const s of open) s.destroy();
      open.clear();
    },
    close() {
      this.cut(true);
      server.close();
    },
  };
}
