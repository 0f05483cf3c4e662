"""A real scoring worker whose model hangs, so it holds its batch unacknowledged until killed."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from service import worker
from service.scoring.document import ScoringInput
from service.scoring.scorer import Score
from service.settings import Settings
from service.storage.connection import connect
from tests.factories import with_scorer


class Hang:
    """A scorer that never returns."""

    def score(
        self,
        items: Sequence[ScoringInput],
        site_models: Sequence[object] = (),
        documents: Sequence[str] | None = None,
        limits: Sequence[object] = (),
    ) -> list[Score]:
        print(f"holding {len(items)}", flush=True)
        time.sleep(3600)
        return []


def main() -> None:
    settings = Settings.from_env(batch_size=int(sys.argv[1]))
    assert settings.redis_url
    stalled = worker.Worker.build(
        settings, connect(settings.redis_url, timeout_s=5), name="stalled"
    )
    with_scorer(stalled, Hang())
    stalled.run()


if __name__ == "__main__":
    main()
