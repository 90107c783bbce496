"""Reciprocal rank fusion and the ranking configuration, on small hand-made rankings.

Each ranking is built so that the property in the test's name decides the winner: ties, mirror images and the
first-appearance tie-break never do.
"""

import pytest

from qa.search.fusion import DEFAULT_WEIGHTS, Ranking, fuse, reciprocal_rank_fusion


def winner(rankings, **kw):
    return reciprocal_rank_fusion(rankings, **kw)[0][0]


def test_score_is_the_weighted_sum_of_reciprocal_ranks():
    fused = dict(reciprocal_rank_fusion([["a", "b"], ["b", "c", "a"]], k=10, weights=[2.0, 0.5]))
    assert fused["a"] == pytest.approx(2.0 / 11 + 0.5 / 13)
    assert fused["b"] == pytest.approx(2.0 / 12 + 0.5 / 11)
    assert fused["c"] == pytest.approx(0.5 / 12)


def test_item_ranked_high_by_both_channels_wins():
    # "b" is second in both channels; "a" and "d" are first in one and absent from the other. "a" comes first
    # in the input, so only the fusion of both channels' evidence can put "b" ahead of it.
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["d", "b", "e"]], k=10)
    assert fused[0][0] == "b"
    assert {fused[1][0], fused[2][0]} == {"a", "d"}


def test_item_in_one_channel_only_still_appears():
    fused = dict(reciprocal_rank_fusion([[1, 2], [9]], k=60))
    assert set(fused) == {1, 2, 9}
    assert fused[9] == pytest.approx(1 / 61)


def test_smaller_constant_trusts_top_ranks_more():
    # "x" is first in one channel (and last of 100 in the other); "y" is third in both.
    # score(x) = 1/(k+1) + 1/(k+100), score(y) = 2/(k+3): x wins for a small k only.
    fillers = [f"f{i}" for i in range(96)]
    rankings = [["x", "p", "y"], ["q", "r", "y", *fillers, "x"]]
    assert winner(rankings, k=0.5) == "x"
    assert winner(rankings, k=60) == "y"


def test_weights_shift_the_balance():
    # Mirror-image rankings: without weights the two items tie. The heavier channel's first item must win
    # whichever channel is heavier, so the first-appearance tie-break cannot decide it.
    rankings = [[1, 2], [2, 1]]
    assert winner(rankings, k=10, weights=[2.0, 1.0]) == 1
    assert winner(rankings, k=10, weights=[1.0, 2.0]) == 2


def test_ties_break_deterministically_by_first_appearance():
    assert [i for i, _ in reciprocal_rank_fusion([[5, 6], [6, 5]], k=10)] == [5, 6]
    assert [i for i, _ in reciprocal_rank_fusion([[6, 5], [5, 6]], k=10)] == [6, 5]


def test_one_weight_per_ranking():
    with pytest.raises(ValueError, match="one weight per ranking"):
        reciprocal_rank_fusion([[1], [2]], weights=[1.0])


# --- fuse: the channels' lists with the configured weights --------------------------------------------------


def test_fuse_applies_each_channels_weight_by_name():
    lists = {"dense": [("a", 0.9), ("b", 0.8)], "lexical": [("b", 12.0), ("a", 3.0)]}
    heavy_lexical = Ranking(weights=(("dense", 1.0), ("lexical", 3.0)), rrf_k=10)
    heavy_dense = Ranking(weights=(("dense", 3.0), ("lexical", 1.0)), rrf_k=10)
    assert fuse(lists, heavy_lexical)[0][0] == "b"
    assert fuse(lists, heavy_dense)[0][0] == "a"


def test_fuse_ignores_raw_scores_and_uses_the_rrf_constant_of_the_ranking():
    lists = {"dense": [("a", 0.01), ("b", 0.0)], "lexical": [("c", 99.0)]}
    fused = dict(fuse(lists, Ranking(weights=(("dense", 1.0), ("lexical", 1.0)), rrf_k=5)))
    assert fused == pytest.approx({"a": 1 / 6, "b": 1 / 7, "c": 1 / 6})


def test_channels_left_out_or_with_empty_lists_do_not_count():
    lists = {"dense": [("a", 1.0)], "sentence": [], "lexical": [("b", 1.0), ("a", 1.0)]}
    only_lexical = Ranking().only(["lexical"])
    assert [i for i, _ in fuse(lists, only_lexical)] == ["b", "a"]
    assert dict(fuse(lists, Ranking(rrf_k=10)))["a"] == pytest.approx(0.5 / 11 + 1.0 / 12)


def test_only_keeps_the_named_channels_with_their_weights_and_refuses_unknown_names():
    ranking = Ranking().only(["lexical", "dense"])
    assert ranking.channels == ("dense", "lexical")  # fusion order, not the order asked
    assert dict(ranking.weights) == {name: w for name, w in DEFAULT_WEIGHTS if name in ("dense", "lexical")}
    with pytest.raises(ValueError, match="unknown channel.*nonsense"):
        Ranking().only(["dense", "nonsense"])
