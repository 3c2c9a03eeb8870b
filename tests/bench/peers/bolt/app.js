// A Bolt for JavaScript Socket Mode app that acks every slash command,
// action and event and does nothing else: the peer of promotebot in
// tests/bench/side_by_side.sh. The Web API base URL comes from SLACK_API_URL
// (the load generator), the tokens from SLACK_APP_TOKEN and SLACK_BOT_TOKEN;
// NODE_EXTRA_CA_CERTS trusts the generator's certificate in the TLS variant.
'use strict';
const { App, LogLevel, SocketModeReceiver } = require('@slack/bolt');

const slackApiUrl = process.env.SLACK_API_URL;
// apps.connections.open goes through the receiver's own client: it needs the URL too.
const receiver = new SocketModeReceiver({
  appToken: process.env.SLACK_APP_TOKEN,
  logLevel: LogLevel.WARN,
  installerOptions: { clientOptions: { slackApiUrl } },
});
const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  receiver,
  clientOptions: { slackApiUrl },
  logLevel: LogLevel.WARN,
});

app.command(/.*/, async ({ ack }) => { await ack(); });
app.action(/.*/, async ({ ack }) => { await ack(); });
// Bolt acks events itself before the listeners run.
app.event(/.*/, async () => {});

process.on('SIGTERM', () => process.exit(0));

(async () => {
  await app.start();
})().catch((e) => {
  console.error('bolt peer:', e);
  process.exit(1);
});
