"""The model file watcher: the model loaded hash-checked, swapped only for a file that passes."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from service.moderation.policy import Thresholds
from service.scoring.model_file import ModelIntegrityError, card_path
from service.scoring.scorer import Scorer
from service.settings import Settings

log = logging.getLogger("modq.worker")

#: How often a worker looks at the model file's modification time.
CHECK_EVERY_S = 5.0


@dataclass(frozen=True)
class LoadedModel:
    """A scorer with the thresholds it is used with and its version."""

    scorer: Scorer
    thresholds: Thresholds
    version: str


def load_model(settings: Settings) -> LoadedModel:
    """Load the model file; the settings' thresholds override the model card's."""
    scorer = Scorer.load(settings.model_path)
    card = scorer.card
    thresholds = Thresholds(
        card.approve_below if settings.approve_below is None else settings.approve_below,
        card.reject_above if settings.reject_above is None else settings.reject_above,
    )
    return LoadedModel(scorer, thresholds, card.version)


class ModelWatch:
    """Notices a replaced model file; a file that fails its checks is refused, loudly."""

    def __init__(self, settings: Settings, every_s: float = CHECK_EVERY_S) -> None:
        self._settings = settings
        self._every_s = every_s
        self._stamp = _stamp(settings.model_path)
        self._checked = time.monotonic()

    def poll(self) -> LoadedModel | None:
        """Return a newly loaded model if the file changed and passes, else None."""
        now = time.monotonic()
        if now - self._checked < self._every_s:
            return None
        self._checked = now
        stamp = _stamp(self._settings.model_path)
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        try:
            loaded = load_model(self._settings)
        except ModelIntegrityError as exc:
            log.error("event=model.refused keeping=current error=%r", str(exc))
            return None
        log.info("event=model.reloaded model=%s", loaded.version)
        return loaded


def _stamp(model_path: Path) -> tuple[int, ...]:
    """What changes when the model file or its card is replaced."""
    stamps: list[int] = []
    for path in (model_path, card_path(model_path)):
        try:
            stat = path.stat()
        except OSError:
            stamps += [0, 0]
            continue
        stamps += [stat.st_mtime_ns, stat.st_size]
    return tuple(stamps)
