"""Rasa's SQL tracker store, able to forget a conversation on the visitor's request.

Rasa saves a turn by appending the tracker's events past those already stored,
so events deleted by an action during the turn would be written straight back
at its end. Erasure therefore happens here, where events are persisted: when
the turn set the ``data_erased`` slot (``action_delete_my_data``), the store
deletes every event of the conversation instead of saving, and the next message
starts a new, empty conversation.

Configured in ``endpoints.yml`` as ``type: bot.tracker_store.AdvisorTrackerStore``.
"""

from __future__ import annotations

import logging

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

log = logging.getLogger(__name__)

ERASE_SLOT = "data_erased"


class AdvisorTrackerStore(SQLTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        if tracker.get_slot(ERASE_SLOT):
            self.erase(tracker.sender_id)
            return
        await super().save(tracker)

    def erase(self, sender_id: str) -> int:
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        log.info("erased %d events of conversation %s on request", deleted, sender_id)
        return deleted
