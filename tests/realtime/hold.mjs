// One client held open for tests/test_realtime.py's restart and crash cases: connects as
// CHINWAG_IDENTITY, opens CHINWAG_CONVERSATION, prints `ready`, then `added <body>` for every
// messageAdded, until its stdin closes.
import { connect, joined, shutdownAll } from "./helpers.mjs";

const client = await connect(process.env.CHINWAG_IDENTITY);
const conversation = await joined(client, process.env.CHINWAG_CONVERSATION);
conversation.on("messageAdded", (m) => console.log(`added ${m.body}`));
client.on("connectionStateChanged", (s) => console.log(`state ${s}`));
console.log("ready");
process.stdin.resume();
process.stdin.on("end", async () => {
  await shutdownAll();
  process.exit(0);
});
