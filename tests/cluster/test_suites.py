"""The storage, API and worker suites, run again against a real Redis Cluster: the fixtures
of tests/cluster/conftest.py point them at it, with keys in six partitions."""

from tests.test_akismet import *  # noqa: F403
from tests.test_api_comments import *  # noqa: F403
from tests.test_api_moderation import *  # noqa: F403
from tests.test_learner import *  # noqa: F403
from tests.test_privacy_erase import *  # noqa: F403
from tests.test_slots import recorded, test_no_unit_of_work_touches_two_slots  # noqa: F401
from tests.test_stats import *  # noqa: F403
from tests.test_webhooks import *  # noqa: F403
from tests.test_worker import *  # noqa: F403
