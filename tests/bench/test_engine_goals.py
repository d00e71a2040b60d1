"""bench.engine --goals: issue 18's engine figures, each against the same run (small sizes here)."""
from bench import engine


def test_goals_prints_each_goal_against_the_same_run(capsys):
    rows = engine.goals(rounds=2, n_single=40, n_batch=60, sizes=(20, 40, 80))
    out = capsys.readouterr().out
    assert len(rows) == 2 and all(len(r) == 9 and all(x > 0 for x in r) for r in rows)
    assert "equal to the reference: 20: True, 40: True, 80: True" in out
    assert "goal 4: p50 80 / p50 20 =" in out and "p99 at 80" in out
    assert "goal 3: batch at 40 promotions" in out and "per 2 cores of CPU" in out
