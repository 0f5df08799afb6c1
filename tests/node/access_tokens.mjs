// Mints access tokens with twilio-node's AccessToken, for tests/test_access_tokens.py.
// stdin: a JSON list of specs {accountSid, keySid, secret, identity, ttl, nbf, serviceSid,
// grant ("chat" | "video" | "capability"), algorithm}; stdout: a JSON list of tokens, same order.
import twilio from "twilio";

const { AccessToken, ClientCapability } = twilio.jwt;

function mint(spec) {
  if (spec.grant === "capability") {
    // A Client capability token: a real Twilio JWT, but not an access token (no `cty`).
    const capability = new ClientCapability({ accountSid: spec.accountSid, authToken: spec.secret });
    capability.addScope(new ClientCapability.OutgoingClientScope({ applicationSid: "AP" + "0".repeat(32) }));
    return capability.toJwt();
  }
  const options = { identity: spec.identity };
  if (spec.ttl !== undefined) options.ttl = spec.ttl;
  if (spec.nbf !== undefined) options.nbf = spec.nbf;
  const token = new AccessToken(spec.accountSid, spec.keySid, spec.secret, options);
  if (spec.grant === "video") {
    token.addGrant(new AccessToken.VideoGrant({ room: "lobby" }));
  } else {
    token.addGrant(new AccessToken.ChatGrant(spec.serviceSid ? { serviceSid: spec.serviceSid } : {}));
  }
  return token.toJwt(spec.algorithm);
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
process.stdout.write(JSON.stringify(JSON.parse(input).map(mint)));
