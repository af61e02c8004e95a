// A practitioner on Element's own crypto: matrix-js-sdk with its Rust crypto (wasm), in
// "exclude insecure devices" mode (OnlySignedDevicesIsolationMode, MSC4153), driven by
// tests/matrix/test_matrix_js.py.
//
// Input (JSON on stdin):
//   {"homeserver": URL, "user_id": "@u:localhost", "password": "...", "peer": "@bot:localhost",
//    "steps": [{"say": "!start CODE", "replies": 1}, ...], "step_timeout_ms": 20000}
// It logs in (a new device), bootstraps its own cross-signing (master, self-signing and
// user-signing keys, its device signed), opens an encrypted DM inviting `peer`, waits for the
// peer to join, then for each step sends the text and waits for `replies` messages from the peer.
//
// Output (one JSON object on stdout; the SDK's own logs go to stderr):
//   {"device_id", "cross_signing_ready", "room_id", "received": [{"event_id", "sender", "body",
//    "msgtype", "shield_colour", "shield_reason"}], "problems": [{"event_id", "sender",
//    "failure"}], "timed_out_step": null | index, "error": null | text}
// A problem is an event from the peer that could not be decrypted (e.g. UNSIGNED_SENDER_DEVICE:
// its device is not cross-signed) or that carries a shield (a warning in Element).

import * as sdk from "matrix-js-sdk";
import {
  EventShieldColour,
  EventShieldReason,
  OnlySignedDevicesIsolationMode,
} from "matrix-js-sdk/lib/crypto-api/index.js";
import { logger } from "matrix-js-sdk/lib/logger.js";

const stdout = process.stdout;
console.log = console.error; // the SDK logs through console: keep stdout for the report
console.info = console.error;
console.debug = () => {};
logger.setLevel("warn");

function readStdin() {
  return new Promise((resolve, reject) => {
    let data = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => (data += chunk));
    process.stdin.on("end", () => resolve(data));
    process.stdin.on("error", reject);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

const report = {
  device_id: null,
  cross_signing_ready: false,
  room_id: null,
  received: [],
  problems: [],
  timed_out_step: null,
  error: null,
};

async function main() {
  const input = JSON.parse(await readStdin());
  const { homeserver, user_id: userId, password, peer } = input;
  const stepTimeout = input.step_timeout_ms ?? 20000;

  const login = await sdk.createClient({ baseUrl: homeserver }).loginRequest({
    type: "m.login.password",
    identifier: { type: "m.id.user", user: userId },
    password,
    initial_device_display_name: "Element-like practitioner (matrix-js-sdk)",
  });
  report.device_id = login.device_id;
  const client = sdk.createClient({
    baseUrl: homeserver,
    userId: login.user_id,
    deviceId: login.device_id,
    accessToken: login.access_token,
  });
  await client.initRustCrypto({ useIndexedDB: false });
  const crypto = client.getCrypto();
  crypto.setDeviceIsolationMode(new OnlySignedDevicesIsolationMode());
  await crypto.bootstrapCrossSigning({
    authUploadDeviceSigningKeys: async (makeRequest) => {
      try {
        await makeRequest(null); // the first upload needs no password (MSC3967)
      } catch {
        await makeRequest({
          type: "m.login.password",
          identifier: { type: "m.id.user", user: userId },
          password,
        });
      }
    },
  });
  report.cross_signing_ready = await crypto.isCrossSigningReady();

  const seen = new Map(); // event id -> entry in received/problems
  let roomId = null;
  // Timeline and Decrypted both report an event: an event is recorded once, after every await
  // (so two concurrent calls cannot both record it); a failure is replaced if it decrypts later.
  const judge = async (event) => {
    if (event.getRoomId() !== roomId || event.getSender() === userId) return;
    if (!event.isEncrypted() && event.getType() !== "m.room.message") return;
    await client.decryptEventIfNeeded(event);
    const id = event.getId();
    if (event.isDecryptionFailure()) {
      if (!seen.has(id)) {
        const failure = event.decryptionFailureReason;
        const problem = { event_id: id, sender: event.getSender(), failure };
        seen.set(id, problem);
        report.problems.push(problem);
      }
      return;
    }
    if (event.getType() !== "m.room.message") return;
    const info = event.isEncrypted() ? await crypto.getEncryptionInfoForEvent(event) : null;
    const earlier = seen.get(id);
    if (earlier && earlier.failure === undefined) return; // recorded already
    if (earlier) report.problems.splice(report.problems.indexOf(earlier), 1); // decrypted late
    const colour = info ? EventShieldColour[info.shieldColour] : "UNENCRYPTED";
    const reason = info && info.shieldReason !== null ? EventShieldReason[info.shieldReason] : null;
    const content = event.getContent();
    const entry = {
      event_id: id,
      sender: event.getSender(),
      body: content.body ?? "",
      msgtype: content.msgtype ?? "",
      shield_colour: colour,
      shield_reason: reason,
    };
    seen.set(id, entry);
    report.received.push(entry);
    if (colour !== "NONE") {
      const failure = `shield ${colour} ${reason}`;
      report.problems.push({ event_id: id, sender: entry.sender, failure });
    }
  };
  client.on(sdk.RoomEvent.Timeline, (event, room, toStartOfTimeline) => {
    if (!toStartOfTimeline) judge(event).catch((e) => console.error("judge failed", e));
  });
  client.on(sdk.MatrixEventEvent.Decrypted, (event) => {
    judge(event).catch((e) => console.error("judge failed", e));
  });

  const prepared = new Promise((resolve) => {
    client.on(sdk.ClientEvent.Sync, (state) => {
      if (state === "PREPARED") resolve();
    });
  });
  await client.startClient({ initialSyncLimit: 10 });
  await prepared;

  const created = await client.createRoom({
    is_direct: true,
    invite: [peer],
    preset: "trusted_private_chat",
    initial_state: [
      { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } },
    ],
  });
  roomId = created.room_id;
  report.room_id = roomId;
  const joined = await waitFor(
    () => client.getRoom(roomId)?.getMember(peer)?.membership === "join",
    stepTimeout,
  );
  if (!joined) throw new Error(`${peer} did not join the DM within ${stepTimeout} ms`);

  for (const [index, step] of input.steps.entries()) {
    const before = report.received.length;
    await client.sendTextMessage(roomId, step.say);
    const answered = await waitFor(
      () => report.received.length >= before + (step.replies ?? 0),
      stepTimeout,
    );
    if (!answered) {
      report.timed_out_step = index;
      break;
    }
  }
  await sleep(input.settle_ms ?? 1000); // anything more (or a late failure) is reported too
  client.stopClient();
}

try {
  await main();
} catch (error) {
  report.error = String(error?.stack ?? error);
}
stdout.write(JSON.stringify(report) + "\n");
process.exit(report.error ? 1 : 0);
