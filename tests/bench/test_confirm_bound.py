"""bench.confirm_bound: the service's confirm and the one-request bound, each against the ceiling."""
from __future__ import annotations

from bench import confirm_bound


def test_the_confirm_bound_confirms_every_transaction_exactly_once_and_prints_both_operations(capsys):
    # main raises if any one-request confirm is not CONFIRMED, or if either operation's budget
    # does not show exactly n confirms: the figures are of confirms that did their work
    assert confirm_bound.main(["--n", "200", "--repeat", "1", "--tasks", "50", "--pool", "2"]) == 0
    printed = capsys.readouterr().out
    summary = printed.split("median of 1 rounds", 1)[1]
    for name in (confirm_bound.SERVICE, confirm_bound.ONE_REQUEST):
        row = next(line for line in summary.splitlines() if line.strip().startswith(name))
        share, client_us, redis_us = row.split()[-3:]
        assert float(share.rstrip("%")) > 0 and float(client_us) > 0 and float(redis_us) > 0
