"""Sending a practitioner a message: the outbox (`bot.messaging.outbox`), written in the
caller's transaction and delivered by the check-in dispatcher's sending stage. Check-ins
(reminders, escalations, pages), publishing notices and operations alerts all queue here."""
