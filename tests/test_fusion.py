from qa.fusion import reciprocal_rank_fusion


def test_item_ranked_high_by_both_channels_wins():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 2]], k=20)
    assert fused[0][0] == 1


def test_item_in_one_channel_only_still_appears():
    fused = dict(reciprocal_rank_fusion([[1, 2], [9]], k=60))
    assert set(fused) == {1, 2, 9}


def test_smaller_constant_trusts_top_ranks_more():
    rankings = [[1, 2, 3, 4], [4, 3, 2, 1]]
    # with a tiny k the two channels' first places dominate; with a big k all tie roughly
    small = reciprocal_rank_fusion(rankings, k=1)
    assert {small[0][0], small[1][0]} == {1, 4}


def test_weights_shift_the_balance():
    fused = reciprocal_rank_fusion([[1, 2], [2, 1]], k=10, weights=[2.0, 1.0])
    assert fused[0][0] == 1


def test_ties_break_deterministically_by_first_appearance():
    a = reciprocal_rank_fusion([[5, 6], [6, 5]], k=10)
    b = reciprocal_rank_fusion([[5, 6], [6, 5]], k=10)
    assert a == b and a[0][0] == 5
