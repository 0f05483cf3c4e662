"""Every Redis key modq uses, built in one place.

Keys live in partitions. A site's partition is a hash of its name modulo the number of
partitions (`use_partitions`, the same in every process: `storage.layout` keeps it in Redis),
and every key of a site and of its comments carries the partition as its hash tag, e.g.
`modq:{p3}:queue:news.example`: on Redis Cluster all of them share one slot, so every
script and transaction stays on one node. A site's key names its site and finds its tag by
itself; a comment's key is given the partition (`Part`), which the caller knows from the
site or from the partition's stream it read. The few keys of no site share the tag `{keys}`.
"""

import re
import zlib
from collections.abc import Callable
from datetime import date
from typing import NewType

from redis.crc import key_slot

PREFIX = "modq"

#: A partition's hash tag, e.g. "{p3}".
Part = NewType("Part", str)

#: Redis Cluster's hash slots.
SLOTS = 16_384
_partitions = 1
_tags: list[Part] = []


def use_partitions(count: int) -> None:
    """Set how many partitions this process's keys are spread over (the layout's count)."""
    global _partitions, _tags
    if count < 1:
        raise ValueError("there is at least one partition")
    _partitions, _tags = count, [_tag(n, count) for n in range(count)]


def _tag(n: int, count: int) -> Part:
    """Partition n's hash tag: `{pN}`, or `{pN.K}` with the first K that puts it in the n-th
    of `count` equal ranges of Redis Cluster's 16,384 slots, so that shards holding equal
    ranges (as `redis-cli --cluster create` makes them) hold equal numbers of partitions."""
    low, high = n * SLOTS // count, (n + 1) * SLOTS // count
    name, k = f"p{n}", 0
    while not low <= key_slot(name.encode()) < high:
        k += 1
        name = f"p{n}.{k}"
    return Part(f"{{{name}}}")


def partition_count() -> int:
    """How many partitions keys are spread over."""
    return _partitions


def partition(site: str) -> Part:
    """The partition of a site: its keys and its comments' keys carry this tag."""
    return _tags[zlib.crc32(site.encode()) % _partitions]


def partitions() -> list[Part]:
    """Every partition, in order."""
    return list(_tags)


#: The tag of the keys of no site: API keys and their index.
NO_SITE = "{keys}"

#: Consumer group of the scoring workers on the intake streams.
SCORERS_GROUP = "scorers"

#: Consumer group of the workers learning from the decisions streams.
LEARNERS_GROUP = "learners"


def every_site(key: Callable[[str], str]) -> tuple[str, re.Pattern[str]]:
    """A SCAN pattern for a per-site key (`key` as `review_queue`) of every site, and a
    regex whose one group is the site in a key found."""
    prefix, suffix = key("\0").replace(partition("\0"), "\1", 1).split("\0")
    pattern = (prefix + "*" + suffix).replace("\1", "*")
    found = (re.escape(prefix) + "(.+)" + re.escape(suffix)).replace("\1", r"\{p[\d.]+\}")
    return pattern, re.compile(found + "$")


def intake_stream(part: Part) -> str:
    """A partition's stream of comment ids waiting to be scored."""
    return f"{PREFIX}:{part}:intake"


def verdicts_channel() -> str:
    """Pub/sub channel on which each batch's written verdicts are announced (their ids)."""
    return f"{PREFIX}:verdicts"


def dead_letter_stream(part: Part) -> str:
    """A partition's comments that failed scoring too many times, kept for operators."""
    return f"{PREFIX}:{part}:deadletter"


def comment(part: Part, comment_id: str) -> str:
    """Hash holding one comment, its verdict and its decision."""
    return f"{PREFIX}:{part}:comment:{comment_id}"


def comment_ip(part: Part, comment_id: str) -> str:
    """The reader's IP of a comment, apart from it so that it can expire on its own."""
    return f"{PREFIX}:{part}:ip:{comment_id}"


def author_comments(site: str, fingerprint: str) -> str:
    """Set of an author's comment ids at a site, by the keyed hash of their e-mail."""
    return f"{PREFIX}:{partition(site)}:author:{site}:{fingerprint}:comments"


def author_history(site: str, fingerprint: str) -> str:
    """Hash of moderators' decisions on an author's comments at a site, by decision."""
    return f"{PREFIX}:{partition(site)}:author:{site}:{fingerprint}:history"


def review_queue(site: str) -> str:
    """Sorted set of a site's held comment ids, scored by creation time in microseconds."""
    return f"{PREFIX}:{partition(site)}:queue:{site}"


def decisions_stream(part: Part) -> str:
    """A partition's append-only log of every decision, for learning and audit."""
    return f"{PREFIX}:{part}:decisions"


def learned_weights(site: str) -> str:
    """Hash of what a site's decisions taught: feature bucket -> weight (log-odds)."""
    return f"{PREFIX}:{partition(site)}:learned:{site}:weights"


def learned_squares(site: str) -> str:
    """Hash of feature bucket -> sum of squared gradients, for the learning step size."""
    return f"{PREFIX}:{partition(site)}:learned:{site}:squares"


def learned_versions(part: Part) -> str:
    """Hash of a partition's sites -> learning steps taken (decisions learned or undone), to
    notice changes."""
    return f"{PREFIX}:{part}:learned"


def learned_step(part: Part, comment_id: str) -> str:
    """What a decision on this comment changed in its site's weights, kept to undo it."""
    return f"{PREFIX}:{part}:learnstep:{comment_id}"


def site_rules(site: str) -> str:
    """A site's moderation rules, as JSON (absent: the defaults)."""
    return f"{PREFIX}:{partition(site)}:rules:{site}"


def recent_from_ip(site: str, ip: str) -> str:
    """Sorted set of a site's recent comment ids from one IP, scored by creation time (us)."""
    return f"{PREFIX}:{partition(site)}:recent:{site}:ip:{ip}"


def recent_from_author(site: str, fingerprint: str) -> str:
    """Sorted set of a site's recent comment ids by one author, scored by creation time (us)."""
    return f"{PREFIX}:{partition(site)}:recent:{site}:author:{fingerprint}"


def first_copy(site: str, fingerprint: str, body_hash: str) -> str:
    """The id of an author's first comment with this body at a site in the last day."""
    return f"{PREFIX}:{partition(site)}:copy:{site}:{fingerprint}:{body_hash}"


def campaign_bands(site: str, week: int) -> str:
    """Hash of a site's MinHash band key -> the campaign it names, for one week's comments."""
    return f"{PREFIX}:{partition(site)}:bands:{site}:{week}"


def campaigns(site: str) -> str:
    """Hash of a site's campaigns: `next` how many were founded (they are numbered), `<n>:n`
    a campaign's size (from two copies), `<n>:d` the latest moderator's call on any copy."""
    return f"{PREFIX}:{partition(site)}:campaigns:{site}"


def site_thresholds(site: str) -> str:
    """Hash of a site's own thresholds (approve_below, reject_above, set_by); absent: the
    model's."""
    return f"{PREFIX}:{partition(site)}:thresholds:{site}"


def site_scripts(site: str) -> str:
    """Hash of a site's decisions per script: `<script>:spam`, `<script>:approve`."""
    return f"{PREFIX}:{partition(site)}:scripts:{site}"


def recent_decisions(site: str) -> str:
    """List of a site's latest decisions, newest first: `P(spam) spam? approved spam`, the
    last two the site's scored counters when it was made (for what it received since)."""
    return f"{PREFIX}:{partition(site)}:recentdecisions:{site}"


def site_counters(site: str) -> str:
    """Hash of per-site counters (comments scored per status)."""
    return f"{PREFIX}:{partition(site)}:counters:{site}"


def site_day(site: str, day: date) -> str:
    """Hash of a site's counts for one UTC day (stats.COUNTER names them); kept DAY_KEPT_S."""
    return f"{PREFIX}:{partition(site)}:days:{site}:{day:%Y%m%d}"


#: How long a site's daily counts are kept: past a year, for last year's month.
DAY_KEPT_S = 400 * 86_400


def layout() -> str:
    """Hash of the data layout: `partitions`, how many the keys are spread over."""
    return f"{PREFIX}:{NO_SITE}:layout"


def api_key(key_id: str) -> str:
    """Hash describing one API key or moderator token (its secret only as a hash)."""
    return f"{PREFIX}:{NO_SITE}:apikey:{key_id}"


def api_key_index() -> str:
    """Set of every key id, for listing."""
    return f"{PREFIX}:{NO_SITE}:apikeys"


def worker_heartbeat() -> str:
    """Hash of scoring workers: consumer name -> last beat (unix seconds) and model version."""
    return f"{PREFIX}:workers"


def webhook(site: str) -> str:
    """Hash of a site's webhook: url, secret, created_at, and how its deliveries went."""
    return f"{PREFIX}:{partition(site)}:webhook:{site}"


def webhook_events(site: str) -> str:
    """List of a site's webhook events waiting to be delivered, oldest first ("<id> <body>")."""
    return f"{PREFIX}:{partition(site)}:webhook:{site}:events"


def webhook_parked(site: str) -> str:
    """List of a site's webhook events that failed for a day, kept for an operator."""
    return f"{PREFIX}:{partition(site)}:webhook:{site}:parked"


def webhooks_due(part: Part) -> str:
    """Sorted set of a partition's sites with webhook events to deliver, by when to try next
    (Unix s)."""
    return f"{PREFIX}:{part}:webhooks:due"


use_partitions(1)
