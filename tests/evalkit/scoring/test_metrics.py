import pytest

from evalkit.scoring.metrics import accuracy, breakdown, clustered_bootstrap_ci, clustered_bootstrap_macro_ci


def test_accuracy_leaves_none_out_of_the_denominator():
    r = accuracy([1.0, 0.0, None, 1.0])
    assert r == {"accuracy": pytest.approx(200 / 3), "n": 4, "n_scored": 3, "n_correct": 2.0}


def test_accuracy_of_nothing_scored_is_none():
    assert accuracy([None, None])["accuracy"] is None


def test_breakdown_groups_by_field_in_first_seen_order():
    fields = [{"d": "short"}, {"d": "long"}, {"d": "short"}]
    out = breakdown([1.0, 0.0, 0.0], fields, ["d"])
    assert list(out["d"]) == ["short", "long"]
    assert out["d"]["short"]["accuracy"] == 50.0 and out["d"]["long"]["n"] == 1


def test_bootstrap_resamples_whole_clusters():
    # every cluster has accuracy 1/3: any resample of clusters gives exactly 1/3
    scores = [1.0, 0.0, 0.0] * 5
    clusters = [c for c in range(5) for _ in range(3)]
    lo, hi = clustered_bootstrap_ci(scores, clusters)
    assert lo == pytest.approx(100 / 3) and hi == pytest.approx(100 / 3)


def test_bootstrap_is_deterministic_and_brackets_the_estimate():
    scores = [1.0, 0.0, 1.0, 1.0, 0.0, None, 1.0, 0.0] * 10
    clusters = list(range(80))
    a = clustered_bootstrap_ci(scores, clusters, seed=3)
    assert a == clustered_bootstrap_ci(scores, clusters, seed=3)
    point = accuracy(scores)["accuracy"]
    assert a[0] < point < a[1]
    assert 0 <= a[0] and a[1] <= 100


def test_bootstrap_with_nothing_scored_is_none():
    assert clustered_bootstrap_ci([None, None], [1, 2]) is None


def test_macro_ci_is_degenerate_when_every_cluster_holds_both_groups_alike():
    # each video: one question of group A (right) and one of group B (wrong): every resample's macro is 50
    scores, clusters, groups = [1.0, 0.0] * 5, [v for v in range(5) for _ in "AB"], ["A", "B"] * 5
    assert clustered_bootstrap_macro_ci(scores, clusters, groups) == [50.0, 50.0]


def test_macro_ci_follows_the_macro_mean_not_the_micro_one():
    # group A: 9 videos right; group B: 1 video wrong. macro 50, micro 90; a resample without B's
    # video has macro 100 (B skipped, as macro_average skips empty groups)
    scores, clusters, groups = [1.0] * 9 + [0.0], list(range(10)), ["A"] * 9 + ["B"]
    assert clustered_bootstrap_macro_ci(scores, clusters, groups) == [50.0, 100.0]
    lo, hi = clustered_bootstrap_ci(scores, clusters)
    assert lo > 50.0  # the micro interval is another thing


def test_macro_ci_puts_a_listed_item_in_each_group_and_skips_unscored_items():
    scores = [1.0, 0.0, None]
    groups = [["A", "B"], "B", "A"]  # item 0 counts in A and B; item 2 is not scored
    assert clustered_bootstrap_macro_ci(scores, [0, 0, 1], groups) == [75.0, 75.0]  # A 100, B 50, one cluster
    assert clustered_bootstrap_macro_ci([None, None], [0, 1], ["A", "B"]) is None
