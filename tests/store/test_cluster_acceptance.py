"""The store-acceptance tests of one node, run again on the 3-master cluster: every limit holds
exactly under concurrency (one INDIVIDUAL code redeemed once, a GENERIC code used exactly
maxRedemptions times, a budget of 100.00 taking exactly 100 confirms of 1.00 from several
independent store actors, nothing consumed anywhere when one part of a confirm is refused), and
the commit's budget remainders and linked returns, and journaled scripts (each in its own slot);
batched commits (one call, each transaction's own verdict) and merged reserves; the side-effect jobs in their
transactions' slots and queue buckets."""
import pytest
import trio

from dre.errors import DREError
from dre.store.records import BudgetUse
from tests.store.test_operation_journal import (  # noqa: F401
    test_replies_come_back_exactly_tables_errors_and_big_numbers,
)
from tests.store.test_store_concurrency import (  # noqa: F401  (collected here, on the cluster)
    actors,
    race,
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
from tests.store.test_store_confirm_batch import (  # noqa: F401
    merged_orders,
    test_a_refused_transaction_in_the_middle_of_a_batch_writes_nothing_and_the_others_commit,
    test_batched_and_one_at_a_time_give_identical_verdicts_and_state,
)
from tests.store.test_store_merged_reserves import (  # noqa: F401
    merged_sizes,
    test_a_merged_call_logs_its_codes_with_the_numbers_they_would_have_had_alone,
    test_a_refused_reserve_in_a_merged_call_is_its_own_and_the_others_stand,
    test_each_reserve_of_a_merged_call_runs_with_its_own_keys,
    test_the_codes_of_two_types_go_in_calls_of_their_own_each_judged_by_its_type,
    test_the_reserves_of_one_round_share_calls_and_each_gets_its_own_reservation,
    test_the_reserves_of_two_tenants_that_share_a_slot_go_in_calls_of_their_own,
)
from tests.store.test_store_confirm_packed import (  # noqa: F401
    test_packed_batch_gives_the_verdicts_and_state_of_one_at_a_time,
)
from tests.store.test_store_jobs import (  # noqa: F401
    test_a_job_whose_confirm_committed_but_never_settled_runs,
    test_a_job_whose_confirm_is_in_flight_waits_and_one_never_committed_is_dropped,
    test_claim_complete_in_order_and_idempotent,
    test_failed_attempts_retry_then_fail,
)
from tests.store.test_store_confirm_returns import (  # noqa: F401
    test_a_journaled_confirm_retried_meets_its_first_replies_and_consumes_once,
    test_a_return_of_a_sale_not_kept_is_refused,
    test_a_sale_keeps_its_record_and_remainder_and_its_returns_count_against_it,
)
from tests.store.test_store_confirm_seal import (  # noqa: F401
    test_a_refused_confirm_lets_go_of_the_seal_and_remembers_the_refusal,
    test_a_seal_left_by_a_dead_worker_lapses_and_nothing_was_consumed,
    test_an_evaluate_at_the_same_instant_waits_for_the_commit_and_gets_the_next_counter,
)


async def test_confirms_racing_newer_evaluates_consume_each_transaction_once(redis_url, tenant):
    """200 transactions, each: counter 1 issued, then its confirm and a newer evaluate at the same
    instant (transaction's slot and tenant's slot on different masters), then a confirm of whatever
    counter is latest. Each transaction is consumed exactly once, whichever came first."""
    async with actors(redis_url, 2) as stores:
        use = BudgetUse("P1", 100)
        for i in range(200):
            await stores[0].transactions.next_counter(tenant, f"T{i}", "{}")

        async def lane(i):
            s = stores[i % 2]
            results = []

            async def confirm(counter):
                try:
                    r = await s.transactions.confirm(tenant, f"T{i}", counter, customer_id=None, promotions=[use],
                                                     coupons=[], answer=f'"{counter}"', job_payload="{}")
                    results.append(("OK", counter, r.replayed))
                except DREError as e:
                    results.append((e.code, counter, None))

            async with trio.open_nursery() as nursery:
                nursery.start_soon(confirm, 1)
                nursery.start_soon(s.transactions.next_counter, tenant, f"T{i}", "{}")
            await confirm(await s.transactions.latest_counter(tenant, f"T{i}"))
            return results

        outcomes = await race(stores, 200, lambda s, i: lane(i))
        for results in outcomes[0]:
            fresh = [r for r in results if r[0] == "OK" and not r[2]]
            assert len(fresh) == 1, results  # one commit; the other confirm: stale, already or replay
        b = await stores[0].budgets.get(tenant, "P1")
        assert b.redemptions_consumed == 200
        assert await stores[0].jobs.queue_length(tenant) == 200


@pytest.fixture
def redis_url(cluster_url) -> str:
    """The imported tests' Redis is a node of the cluster."""
    return cluster_url
