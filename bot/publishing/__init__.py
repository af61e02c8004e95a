"""Publishing guidance: psychologists draft, check, preview, review and publish dialogs.

`PublishingService` (the publishing use cases the chat layer and the start-up call) is built on
`PublishingUseCases` (authorized, audited) and `tx.drafts` and `tx.versions` (storage/repos/).
"""

from bot.publishing.service import PublishingService
from bot.publishing.usecases import PublishingUseCases, PublishRefused

__all__ = ["PublishRefused", "PublishingService", "PublishingUseCases"]
