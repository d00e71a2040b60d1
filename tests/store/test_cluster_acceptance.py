"""The store-acceptance tests of one node, run again on the 3-master cluster: every limit holds
exactly under concurrency (one INDIVIDUAL code redeemed once, a GENERIC code used exactly
maxRedemptions times, a budget of 100.00 taking exactly 100 confirms of 1.00 from several
independent store actors, nothing consumed anywhere when one part of a confirm is refused)."""
import pytest

from tests.store.test_store_concurrency import (  # noqa: F401  (collected here, on the cluster)
    test_budget_of_100_takes_exactly_100_confirms_of_1,
    test_counters_are_gap_free_under_concurrency,
    test_duplicate_confirms_of_one_iteration_at_once_consume_once,
    test_generic_code_is_used_exactly_max_redemptions_times,
    test_one_individual_code_is_redeemed_once,
)
from tests.store.test_store_confirm import (  # noqa: F401
    test_budget_exhausted_names_promotion_and_changes_nothing,
    test_confirm_claims_reserved_and_active_coupons,
    test_confirm_consumes_budget_and_enqueues_job,
    test_confirm_replay_returns_first_answer_and_changes_nothing,
    test_coupon_unavailable_names_code_and_changes_nothing,
    test_stale_unknown_and_other_counter,
)


@pytest.fixture
def redis_url(cluster_url) -> str:
    """The imported tests' Redis is a node of the cluster."""
    return cluster_url
