// Several server processes (`--workers 2`): clients land on either, and each must hear what the
// others commit (PostgreSQL NOTIFY; SQLite's poll of the log).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { collect, connect, conversationWith, joined, run, shutdownAll, until, v1 } from "./helpers.mjs";

after(shutdownAll);

test("every client hears every message, whichever process holds its socket", async () => {
  const identities = [0, 1, 2, 3, 4, 5].map((i) => `w${i}-${run}`);
  const conv = await conversationWith(...identities);
  const clients = await Promise.all(identities.map((id) => connect(id)));
  const conversations = await Promise.all(clients.map((c) => joined(c, conv.sid)));
  const seen = conversations.map((c) => collect(c, "messageAdded"));
  await Promise.all(conversations.map((c, i) => c.sendMessage(`from ${identities[i]}`)));
  await v1.conversations(conv.sid).messages.create({ author: "rest", body: "from rest" });
  for (const [i, got] of seen.entries()) {
    await until(() => got.length === identities.length + 1, 15000, `all messages at ${identities[i]}`);
    assert.deepEqual(new Set(got.map((m) => m.index)).size, identities.length + 1, "each once");
  }
  const stored = await v1.conversations(conv.sid).messages.list();
  assert.equal(stored.length, identities.length + 1);
});
