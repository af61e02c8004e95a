"""The structured exit of a case (issue 16): the exit report's plan (`plan`), its use cases
(`usecases`), the document (`report`). The chat flow is `bot.chat.exit`; the post-exit
follow-up check-ins are created by `bot.checkins.operator` when a case is closed."""
