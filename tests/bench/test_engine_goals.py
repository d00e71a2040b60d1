"""bench.engine --goals: issue 18's engine figures, each against the same run (small sizes here)."""
from bench import engine


def test_goals_prints_each_goal_against_the_same_run(capsys):
    rows = engine.goals(rounds=2, n_single=40, n_batch=60, sizes=(20, 40, 80))
    out = capsys.readouterr().out
    assert len(rows) == 2 and all(len(r) == 9 and all(x > 0 for x in r) for r in rows)
    assert "equal to the reference: 20: True, 40: True, 80: True" in out
    assert "goal 4: p50 80 / p50 20 =" in out and "p99 at 80" in out
    assert "goal 3: batch at 40 promotions" in out and "per 2 cores of CPU" in out


def test_as_served_settles_the_heap_and_prices_fresh_copies(monkeypatch, capsys):
    import api.serve

    settled = []
    monkeypatch.setattr(api.serve, "settle_heap", lambda: settled.append(True))
    engine.goals(rounds=1, n_single=20, n_batch=20, sizes=(20, 40, 80), fresh=True)
    assert settled == [True] and "as served" in capsys.readouterr().out

    class Recorder:
        def __init__(self):
            self.seen = []

        def evaluate(self, basket, ctx):
            self.seen.append(basket)

    cat = engine.catalogue()
    bs = engine.baskets(3, cat, engine.promotions(20, cat, mix="realistic"))
    stale, fresh = Recorder(), Recorder()
    engine._single(stale, bs, None)
    engine._single(fresh, bs, None, fresh=True)
    assert all(a is b for a, b in zip(stale.seen, bs))
    assert fresh.seen == bs  # equal baskets, but new objects down to the lines' strings
    assert all(a is not b and a.lines[0].article is not b.lines[0].article for a, b in zip(fresh.seen, bs))
