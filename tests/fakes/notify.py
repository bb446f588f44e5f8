"""Notify's job ledger, in memory."""

from stoppress.core.errors import TransientError


class FakeLedger:
    """Holds recorded jobs; with ``fail_erase`` set, erasing fails as a throttled table would."""

    def __init__(self) -> None:
        self.held: set[tuple[str, int, str, int]] = set()
        self.erased: list[int] = []
        self.fail_erase = False

    def record(self, article_id: str, version: int, topic: str, shard: int) -> bool:
        key = (article_id, version, topic, shard)
        if key in self.held:
            return False
        self.held.add(key)
        return True

    def erase(self, article_id: str, version: int, topic: str, shard: int) -> None:
        if self.fail_erase:
            raise TransientError("table throttled")
        self.held.discard((article_id, version, topic, shard))
        self.erased.append(shard)
