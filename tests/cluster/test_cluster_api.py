"""The API tests of what the store gained beside the cluster layout, run again with the store on
the 3-master cluster (the tenant's slot, each transaction's and each Idempotency-Key's slot on
different masters): forwarded confirms of store-local mode committed through the three-step
confirm exactly once, linked returns counted against their sale in the return's commit, budget
remainders, and Idempotency-Key requests whose scripts are journaled in their own slots."""
from __future__ import annotations

import pytest

from tests.api.conftest import client, example_request, services  # noqa: F401  (fixtures, on the cluster)
from tests.api.test_budget_remainder import (  # noqa: F401
    test_a_raised_budget_is_offered_again,
    test_another_worker_learns_the_remainder_from_the_store,
)
from tests.api.test_idempotency import (  # noqa: F401
    codes,
    test_confirm_with_a_key,
    test_evaluate_with_a_key_issues_one_counter,
    test_one_key_sent_twice_at_the_same_instant_runs_once,
    test_replay_returns_the_first_answer_and_changes_nothing,
)
from tests.api.test_linked_returns import (  # noqa: F401
    test_a_receipt_discount_below_its_threshold_is_clawed_back_once,
    test_an_unknown_sale_gives_back_nothing,
    test_partial_returns_give_back_the_sale_discount_per_unit_never_more,
    test_two_returns_of_the_same_unit_confirm_once,
)
from tests.api.test_sync_transactions import (  # noqa: F401
    test_a_forwarded_transaction_central_evaluated_itself_is_refused_and_kept_apart,
    test_a_lease_is_taken_out_of_the_budget_and_sales_within_it_consume_nothing_more,
    test_conflicts_are_left_out_recorded_once_and_replays_change_nothing,
)


@pytest.fixture
def redis_url(cluster_url) -> str:
    """The imported tests' Redis is a node of the cluster."""
    return cluster_url


@pytest.fixture
def rdb(redis_cluster):
    """The imported tests read keys through a cluster client."""
    return redis_cluster.client()
