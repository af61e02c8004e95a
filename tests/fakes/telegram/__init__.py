"""The fake Telegram Bot API server (`FakeBotApi`), in parts: `model` (what it keeps),
`requests` (reading a request), `entities` (parse modes), `bot_api` (the methods the bot calls),
`control` (what tests drive and inspect), `server` (state and lifecycle)."""
