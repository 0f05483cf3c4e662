"""Every Redis key modq uses, built in one place."""

from datetime import date

PREFIX = "modq"

#: Consumer group of the scoring workers on the intake stream.
SCORERS_GROUP = "scorers"

#: Consumer group of the workers learning from the decisions stream.
LEARNERS_GROUP = "learners"


def intake_stream() -> str:
    """Stream of comment ids waiting to be scored."""
    return f"{PREFIX}:intake"


def verdicts_channel() -> str:
    """Pub/sub channel on which each batch's written verdicts are announced (their ids)."""
    return f"{PREFIX}:verdicts"


def dead_letter_stream() -> str:
    """Comments that failed scoring too many times, kept for operators."""
    return f"{PREFIX}:deadletter"


def comment(comment_id: str) -> str:
    """Hash holding one comment, its verdict and its decision."""
    return f"{PREFIX}:comment:{comment_id}"


def comment_ip(comment_id: str) -> str:
    """The reader's IP of a comment, apart from it so that it can expire on its own."""
    return f"{PREFIX}:ip:{comment_id}"


def author_comments(site: str, fingerprint: str) -> str:
    """Set of an author's comment ids at a site, by the keyed hash of their e-mail."""
    return f"{PREFIX}:author:{site}:{fingerprint}:comments"


def author_history(site: str, fingerprint: str) -> str:
    """Hash of moderators' decisions on an author's comments at a site, by decision."""
    return f"{PREFIX}:author:{site}:{fingerprint}:history"


def review_queue(site: str) -> str:
    """Sorted set of a site's held comment ids, scored by creation time in microseconds."""
    return f"{PREFIX}:queue:{site}"


def decisions_stream() -> str:
    """Append-only log of every moderator decision, for learning and audit."""
    return f"{PREFIX}:decisions"


def learned_weights(site: str) -> str:
    """Hash of what a site's decisions taught: feature bucket -> weight (log-odds)."""
    return f"{PREFIX}:learned:{site}:weights"


def learned_squares(site: str) -> str:
    """Hash of feature bucket -> sum of squared gradients, for the learning step size."""
    return f"{PREFIX}:learned:{site}:squares"


def learned_versions() -> str:
    """Hash of site -> learning steps taken (decisions learned or undone), to notice changes."""
    return f"{PREFIX}:learned"


def learned_step(comment_id: str) -> str:
    """What a decision on this comment changed in its site's weights, kept to undo it."""
    return f"{PREFIX}:learnstep:{comment_id}"


def site_rules(site: str) -> str:
    """A site's moderation rules, as JSON (absent: the defaults)."""
    return f"{PREFIX}:rules:{site}"


def recent_from_ip(site: str, ip: str) -> str:
    """Sorted set of a site's recent comment ids from one IP, scored by creation time (us)."""
    return f"{PREFIX}:recent:{site}:ip:{ip}"


def recent_from_author(site: str, fingerprint: str) -> str:
    """Sorted set of a site's recent comment ids by one author, scored by creation time (us)."""
    return f"{PREFIX}:recent:{site}:author:{fingerprint}"


def first_copy(site: str, fingerprint: str, body_hash: str) -> str:
    """The id of an author's first comment with this body at a site in the last day."""
    return f"{PREFIX}:copy:{site}:{fingerprint}:{body_hash}"


def campaign_bands(site: str, week: int) -> str:
    """Hash of a site's MinHash band key -> the campaign it names, for one week's comments."""
    return f"{PREFIX}:bands:{site}:{week}"


def campaigns(site: str) -> str:
    """Hash of a site's campaigns: `next` how many were founded (they are numbered), `<n>:n`
    a campaign's size (from two copies), `<n>:d` the latest moderator's call on any copy."""
    return f"{PREFIX}:campaigns:{site}"


def site_thresholds(site: str) -> str:
    """Hash of a site's own thresholds (approve_below, reject_above, set_by); absent: the
    model's."""
    return f"{PREFIX}:thresholds:{site}"


def site_scripts(site: str) -> str:
    """Hash of a site's decisions per script: `<script>:spam`, `<script>:approve`."""
    return f"{PREFIX}:scripts:{site}"


def recent_decisions(site: str) -> str:
    """List of a site's latest decisions, newest first: `P(spam) spam? approved spam`, the
    last two the site's scored counters when it was made (for what it received since)."""
    return f"{PREFIX}:recentdecisions:{site}"


def site_counters(site: str) -> str:
    """Hash of per-site counters (comments scored per status)."""
    return f"{PREFIX}:counters:{site}"


def site_day(site: str, day: date) -> str:
    """Hash of a site's counts for one UTC day (stats.COUNTER names them); kept DAY_KEPT_S."""
    return f"{PREFIX}:days:{site}:{day:%Y%m%d}"


#: How long a site's daily counts are kept: past a year, for last year's month.
DAY_KEPT_S = 400 * 86_400


def api_key(key_id: str) -> str:
    """Hash describing one API key or moderator token (its secret only as a hash)."""
    return f"{PREFIX}:apikey:{key_id}"


def api_key_index() -> str:
    """Set of every key id, for listing."""
    return f"{PREFIX}:apikeys"


def worker_heartbeat() -> str:
    """Hash of scoring workers: consumer name -> last beat (unix seconds) and model version."""
    return f"{PREFIX}:workers"


def webhook(site: str) -> str:
    """Hash of a site's webhook: url, secret, created_at, and how its deliveries went."""
    return f"{PREFIX}:webhook:{site}"


def webhook_events(site: str) -> str:
    """List of a site's webhook events waiting to be delivered, oldest first ("<id> <body>")."""
    return f"{PREFIX}:webhook:{site}:events"


def webhook_parked(site: str) -> str:
    """List of a site's webhook events that failed for a day, kept for an operator."""
    return f"{PREFIX}:webhook:{site}:parked"


def webhooks_due() -> str:
    """Sorted set of the sites with webhook events to deliver, by when to try next (Unix s)."""
    return f"{PREFIX}:webhooks:due"
