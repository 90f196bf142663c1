"""Rasa's Redis lock store, with each change to a lock made atomically.

Rasa 3.6's ``RedisLockStore`` changes a conversation's lock by reading it,
changing it in Python and writing it back. Two Rasa servers doing that at the
same moment for one conversation (two messages from one visitor, one on each
replica) both read the same lock: both take ticket 0 and handle their turns at
the same time, or one server's write removes the other's ticket. Rasa's SQL
tracker store then saves the second turn as "the events past those already
stored", so a whole turn is lost without an error (tests/e2e/test_scale.py sends
such a burst; Rasa issue 9213; Rasa Pro's ConcurrentRedisLockStore is the
vendor's fix, not in Rasa Open Source 3.6).

:class:`AdvisorRedisLockStore` keeps Rasa's ticket lock and its Redis keys and
makes every read-change-write of a lock one optimistic Redis transaction (WATCH,
MULTI, EXEC; retried when another server changed the lock in between), and
gives a ticket back and deletes the emptied lock in the same transaction.

Configured in ``endpoints.scale.yml`` as
``type: bot.rasa_runtime.lock_store.AdvisorRedisLockStore``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

log = logging.getLogger(__name__)

T = TypeVar("T")


class AdvisorRedisLockStore(RedisLockStore):
    def __init__(
        self, endpoint_config: EndpointConfig | None = None, **kwargs: Any
    ) -> None:
        # Rasa builds a lock store named by module path from its endpoint config.
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url, **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _change(
        self,
        conversation_id: str,
        change: Callable[[TicketLock | None], tuple[TicketLock | None, T]],
    ) -> T:
        """Apply `change` to the stored lock atomically; None deletes the lock."""
        key = self.key_prefix + conversation_id

        def transaction(pipe: Any) -> T:
            serialised = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(serialised)) if serialised else None
            changed, result = change(lock)
            pipe.multi()
            if changed is None:
                pipe.delete(key)
            else:
                pipe.set(key, changed.dumps())
            return result

        return self.red.transaction(transaction, key, value_from_callable=True)

    def issue_ticket(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME
    ) -> int:
        def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def give_back(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, give_back)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Give the ticket back, and delete the lock if nobody else waits for it."""

        def give_back(lock: TicketLock | None) -> tuple[TicketLock | None, bool]:
            if lock is None:
                return None, False
            lock.remove_ticket_for(ticket_number)
            return (lock, False) if lock.is_someone_waiting() else (None, True)

        if self._change(conversation_id, give_back):
            log.debug("Deleted lock for conversation '%s'.", conversation_id)
