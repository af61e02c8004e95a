"""Key rotation: add a key, re-encrypt everything under it, resumable."""

from __future__ import annotations

import logging

from bot.keystore import add_key
from bot.usecases.base import UseCases, operator_task
from storage.rotation import RotationProgress, pending_rotation, reencrypt

__all__ = ["MaintenanceUseCases"]

log = logging.getLogger(__name__)


class MaintenanceUseCases(UseCases):
    @operator_task("keys.rotate")
    async def rotate_keys(
        self,
        *,
        new_key: bool = True,
        batch: int = 500,
        stop_after_batches: int | None = None,
    ) -> RotationProgress:
        """Add a new active key (unless one rotation is unfinished: then resume it) and
        re-encrypt every encrypted value under it. Restart other running relais processes
        after adding a key so that they can read the values written under it."""
        pending = await pending_rotation(self.db)
        if pending is None and new_key:
            ring, kid = add_key(self.config, self.db.keys)
            self.db.keys = ring
            async with self.db.transaction(self.clock.now()) as tx:
                await tx.audit(
                    actor_kind="operator", actor_id=None, action="keys.add", detail={"key": kid}
                )
        progress = await reencrypt(
            self.db,
            self.db.keys,
            self.clock.now,
            batch=batch,
            stop_after_batches=stop_after_batches,
        )
        if progress.finished:
            async with self.db.transaction(self.clock.now()) as tx:
                await tx.audit(
                    actor_kind="operator",
                    actor_id=None,
                    action="keys.rotate",
                    detail={"key": progress.target_key_id, "rows": progress.rows_done},
                )
        return progress
