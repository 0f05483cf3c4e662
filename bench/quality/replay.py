"""A site's first days, replayed: batches of 50, every held comment and every mistake decided.

Each stream starts a fresh site. Comments arrive in batches of BATCH; each batch is judged
with what the site has learned so far. Then its moderators decide every comment held for
review and correct every wrong automatic verdict (a reader reports missed spam, an author
complains about a rejected comment), and those decisions are learned before the next
batch. The figures are taken in three windows: the first 200 comments, every comment judged
once 200 decisions were learned, and every one judged once 1,000 were.

modq is replayed with the service's own scorer and learning step; the baseline is the
quick build the issue names: hashed char_wb 2-5-grams and word 1-2-grams, a logistic
SGDClassifier fitted on the shippable sets in 10 passes, then `partial_fit` on each batch's
decisions, acting at modq's thresholds.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import matthews_corrcoef

from bench.quality import protocols, systems
from bench.quality.table import number, pct, render
from model.data import Example, read_examples
from service.moderation.campaigns import band_keys
from service.moderation.comments import Author, Campaign, CommentStatus, Decision, NewComment
from service.moderation.policy import (
    Confirmed,
    Recent,
    Thresholds,
    caution,
    fitted,
    judge,
    learned_bounds,
)
from service.moderation.rules import Seen, SiteRules, dominant_script
from service.scoring.document import to_document
from service.scoring.scorer import Scorer
from service.scoring.site_model import SiteModel
from service.storage.calibration import RECENT_DECISIONS

BATCH = 50
#: Each window but the first: every comment judged once this many decisions were learned.
WINDOWS = (("after 200 decisions", 200), ("after 1,000 decisions", 1000))
FIRST_COMMENTS = 200
BASELINE_PASSES = 10


class Site(Protocol):
    """One site as a system judges it: verdicts for a batch, and decisions to learn (each
    with the P(spam) its comment had at its verdict)."""

    def judge(self, examples: Sequence[Example]) -> tuple[list[float], list[CommentStatus]]: ...

    def learn(self, decided: Sequence[tuple[Example, float]]) -> None: ...


class ModqSite:
    """modq's scorer with the site's learned model, judged by the service's policy with a
    new site's default rules (those a comment alone can trip: links, words, scripts), its
    campaigns, and its own thresholds once its decisions fit them."""

    def __init__(self, scorer: Scorer) -> None:
        self._scorer = scorer
        self._model = SiteModel()
        card = scorer.card
        self._default = Thresholds(card.approve_below, card.reject_above)
        self._thresholds = self._default
        self._rules = SiteRules()
        self._campaigns = Campaigns()
        self._scripts: Counter[tuple[str, int]] = Counter()
        # As the service keeps them: the latest decisions, with the counts of comments
        # published and rejected when each was made.
        self._recent: deque[tuple[float, bool, int, int]] = deque(maxlen=RECENT_DECISIONS)
        self._scored: Counter[CommentStatus] = Counter()

    def judge(self, examples: Sequence[Example]) -> tuple[list[float], list[CommentStatus]]:
        confirmed = [self._confirmed(e) for e in examples]
        items, models = [e.item for e in examples], [self._model] * len(examples)
        limits = [learned_bounds(c) for c in confirmed]
        scores = self._scorer.score(items, models, limits=limits)
        p = [s.probability for s in scores]
        campaigns = self._campaigns.join(examples)
        hits = [
            self._rules.check(_comment(e), 0.0, Seen(campaign=c))
            for e, c in zip(examples, campaigns, strict=True)
        ]
        for score, found, confirmed_ in zip(scores, hits, confirmed, strict=True):
            held = caution(score.probability, score.shipped, self._thresholds, confirmed_)
            if held is not None:
                found.append(held)
        statuses = [judge(x, h, self._thresholds) for x, h in zip(p, hits, strict=True)]
        self._scored.update(statuses)
        return p, statuses

    def _confirmed(self, example: Example) -> Confirmed:
        script = dominant_script(example.item.body)
        spam, ham = self._scripts[script, 1], self._scripts[script, 0]
        return Confirmed(script, spam, ham, script in self._scorer.card.scripts)

    def learn(self, decided: Sequence[tuple[Example, float]]) -> None:
        counts = self._scored[CommentStatus.APPROVED], self._scored[CommentStatus.SPAM]
        for example, p in decided:
            self._scorer.learn(example.item, self._model, example.label)
            self._campaigns.decide(example)
            self._scripts[dominant_script(example.item.body), example.label] += 1
            self._recent.appendleft((p, bool(example.label), *counts))
        recent = Recent.since(list(self._recent), counts)
        self._thresholds = fitted(recent, self._default) or self._default


class Campaigns:
    """A site's campaigns as the service keeps them: band key -> campaign, its latest call."""

    def __init__(self) -> None:
        self._named: dict[str, int] = {}
        self._of: dict[int, int] = {}  # id(example) -> its campaign
        self._sizes: Counter[int] = Counter()
        self._calls: dict[int, Decision] = {}

    def join(self, examples: Sequence[Example]) -> list[Campaign | None]:
        found: list[Campaign | None] = []
        for example, bands in zip(
            examples, band_keys([to_document(e.item) for e in examples]), strict=True
        ):
            if not bands:
                found.append(None)
                continue
            campaign = next((self._named[b] for b in bands if b in self._named), id(example))
            for band in bands:
                self._named.setdefault(band, campaign)
            self._of[id(example)] = campaign
            self._sizes[campaign] += 1
            found.append(Campaign(str(campaign), self._sizes[campaign], self._calls.get(campaign)))
        return found

    def decide(self, example: Example) -> None:
        if id(example) in self._of:
            self._calls[self._of[id(example)]] = (
                Decision.SPAM if example.label else Decision.APPROVE
            )


class BaselineSite:
    """The issue's baseline: hashed char_wb 2-5 and word 1-2 grams, logistic SGD, online."""

    def __init__(self, train: Sequence[Example], thresholds: Thresholds) -> None:
        self._chars = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=2**20)
        self._words = HashingVectorizer(ngram_range=(1, 2), n_features=2**20)
        self._model = SGDClassifier(
            loss="log_loss", max_iter=BASELINE_PASSES, tol=None, random_state=0
        )
        self._model.fit(self._features(train), [e.label for e in train])
        self._thresholds = thresholds

    def judge(self, examples: Sequence[Example]) -> tuple[list[float], list[CommentStatus]]:
        p = self._model.predict_proba(self._features(examples))[:, 1].tolist()
        return p, [self._thresholds.status_for(x) for x in p]

    def learn(self, decided: Sequence[tuple[Example, float]]) -> None:
        if decided:
            examples = [e for e, _ in decided]
            self._model.partial_fit(self._features(examples), [e.label for e in examples])

    def _features(self, examples: Sequence[Example]) -> object:
        texts = [e.item.body for e in examples]
        return hstack([self._chars.transform(texts), self._words.transform(texts)]).tocsr()


@dataclass(frozen=True)
class Stream:
    """A site's comments in arrival order, what modq starts with, what the baseline learns."""

    name: str
    examples: list[Example]
    scorer: Scorer
    baseline_train: list[Example]


@dataclass
class Judged:
    """What a replay saw: each comment's P(spam), verdict, and decisions learned before it."""

    labels: list[int]
    p: list[float]
    statuses: list[CommentStatus]
    decided_before: list[int]


def replay(site: Site, examples: Sequence[Example]) -> Judged:
    """Judge the stream batch by batch; learn the decisions moderators make on each."""
    judged = Judged([], [], [], [])
    decisions = 0
    for start in range(0, len(examples), BATCH):
        batch = examples[start : start + BATCH]
        p, statuses = site.judge(batch)
        judged.labels += [e.label for e in batch]
        judged.p += p
        judged.statuses += statuses
        judged.decided_before += [decisions] * len(batch)
        decided = [
            (e, x) for e, x, status in zip(batch, p, statuses, strict=True) if _decided(e, status)
        ]
        site.learn(decided)
        decisions += len(decided)
    return judged


def _comment(example: Example) -> NewComment:
    item = example.item
    return NewComment(Author(item.author_name, item.author_email, item.author_url), item.body)


def _decided(example: Example, status: CommentStatus) -> bool:
    """A moderator decides it: it was held, or its automatic verdict was wrong."""
    if status is CommentStatus.PENDING_REVIEW:
        return True
    return (status is CommentStatus.SPAM) != bool(example.label)


def windows(judged: Judged) -> dict[str, dict[str, float]]:
    """The figures of the first 200 comments and of each window of decisions learned."""
    n = len(judged.labels)
    index = np.arange(n)
    decided = np.array(judged.decided_before)
    masks = {f"first {FIRST_COMMENTS} comments": index < FIRST_COMMENTS}
    for name, learned in WINDOWS:
        masks[name] = decided >= learned
    return {name: figures(judged, mask) for name, mask in masks.items()}


def figures(judged: Judged, mask: np.ndarray) -> dict[str, float]:
    """MCC at 0.5, ham auto-rejected, spam auto-approved and held, over the masked comments."""
    labels = np.array(judged.labels)[mask]
    if not labels.size:
        return {"n": 0.0}
    p = np.array(judged.p)[mask]
    status = np.array([s.value for s in judged.statuses])[mask]
    ham, spam = labels == 0, labels == 1
    both = bool(ham.any() and spam.any())  # else MCC says nothing
    mcc = matthews_corrcoef(labels, (p >= 0.5).astype(int)) if both else math.nan
    return {
        "n": float(labels.size),
        "mcc": float(mcc),
        "ham_rejected": _share(status[ham] == CommentStatus.SPAM.value),
        "spam_approved": _share(status[spam] == CommentStatus.APPROVED.value),
        "held": _share(status == CommentStatus.PENDING_REVIEW.value),
    }


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else float("nan")


def streams(data_dir: Path, shipped: Scorer) -> Iterator[Stream]:
    """Each TubeSpam video by date (models fitted without it), then each non-English set."""
    sms = read_examples(data_dir / protocols.SMS)
    for split in protocols.t2(data_dir):
        train = [*split.train, *sms]
        examples = sorted(split.test, key=lambda e: e.date)
        scorer = systems.as_scorer(systems.trained(train), split.name, train)
        yield Stream(f"{split.name} by date", examples, scorer, train)
    shippable = [*read_examples(data_dir / protocols.TUBESPAM), *sms]
    for zero in protocols.zero_shot(data_dir):
        # No arrival times in these sets: one fixed shuffle.
        order = np.random.default_rng(0).permutation(len(zero.test))
        yield Stream(zero.name, [zero.test[i] for i in order], shipped, shippable)


@dataclass(frozen=True)
class ReplayRow:
    """One stream's windows for modq and for the baseline."""

    name: str
    modq: dict[str, dict[str, float]]
    baseline: dict[str, dict[str, float]]


def run(stream: Stream) -> ReplayRow:
    """Replay one stream through modq and through the baseline."""
    card = stream.scorer.card
    thresholds = Thresholds(card.approve_below, card.reject_above)
    modq = windows(replay(ModqSite(stream.scorer), stream.examples))
    baseline = BaselineSite(stream.baseline_train, thresholds)
    return ReplayRow(stream.name, modq, windows(replay(baseline, stream.examples)))


HEADER = (
    "| stream | window | n | modq MCC | ham auto-rejected | spam auto-approved | held "
    "| baseline MCC | ham auto-rejected | spam auto-approved | held |"
)


def markdown(rows: list[ReplayRow]) -> str:
    """One line per stream and window, modq beside the baseline."""
    return render(HEADER, (cells for row in rows for cells in _lines(row)))


def _lines(row: ReplayRow) -> Iterator[list[str]]:
    # A window no comment reached (a short stream never learns 1,000 decisions) is left out.
    reached = [(w, f) for w, f in row.modq.items() if f.get("n") or row.baseline[w].get("n")]
    for n, (window, figures_) in enumerate(reached):
        cells = [row.name if n == 0 else "", window, f"{figures_.get('n', 0):.0f}"]
        yield cells + _cells(figures_) + _cells(row.baseline[window])


def _cells(m: dict[str, float]) -> list[str]:
    if not m.get("n"):
        return ["—"] * 4
    return [number(m["mcc"]), *(pct(m[k]) for k in ("ham_rejected", "spam_approved", "held"))]
