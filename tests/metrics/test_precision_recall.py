"""Improved precision/recall (k = 3, Kynkäänniemi et al. 2019) against closed forms and a hand count."""
import numpy as np
import pytest

from repro.metrics.families.precision_recall import K, precision_recall


def test_identical_sets_have_precision_and_recall_one():
    # every point lies in its own k-NN ball (distance 0 <= radius)
    x = np.random.default_rng(0).normal(size=(50, 8))
    assert precision_recall(x, x.copy()) == (1.0, 1.0)


def test_disjoint_far_apart_sets_have_precision_and_recall_zero():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(40, 4))             # radii < 10 (a unit-scale blob)
    fake = rng.normal(size=(30, 4)) + 1000.0    # 1000 away: outside every ball, both ways
    assert precision_recall(real, fake) == (0.0, 0.0)


def test_hand_computed_two_dimensional_example():
    # k = 1. Real A(0,0) B(1,0) C(0,1) D(5,5): radii A 1, B 1, C 1, D sqrt(41) = 6.40.
    # Fake P(.5,.5) S(0,-3) Q(10,10) Q2(10,11): radii P |PS| = sqrt(12.5) = 3.54, S 3.54, Q 1, Q2 1.
    # Precision: P is 0.71 from A (<= 1); S is 3 from A, 3.16 from B, 9.43 from D; Q is 7.07 from
    # D (> 6.40); Q2 7.81 from D  -> 1/4.
    # Recall: A, B, C lie 0.71 from P (<= 3.54); D is 6.36 from P, 9.43 from S, 7.07 from Q (> 1)
    # and 7.81 from Q2 (> 1)  -> 3/4.
    real = np.array([[0, 0], [1, 0], [0, 1], [5, 5]], dtype=float)
    fake = np.array([[.5, .5], [0, -3], [10, 10], [10, 11]], dtype=float)
    assert precision_recall(real, fake, k=1) == (0.25, 0.75)
    # and with the sets swapped, precision and recall swap
    assert precision_recall(fake, real, k=1) == (0.75, 0.25)


def test_ball_edge_counts_as_inside_and_blocks_agree():
    # k = 3 on a line: real 0, 1, 2, 3 -> radius of 0 is 3 (to the point 3); a fake at exactly 3
    # from 0 and beyond every other ball (at -3: 4, 5, 6 from the others, radii 2, 2, 3) is inside
    real = np.array([[0.], [1.], [2.], [3.]])
    fake = np.array([[-3.], [-100.], [-101.], [-102.], [-103.]])
    p, _ = precision_recall(real, fake, k=K)
    assert p == pytest.approx(1 / 5)


def test_too_few_features_or_mismatched_dimensions_are_refused():
    with pytest.raises(ValueError, match="more than 3"):
        precision_recall(np.zeros((3, 2)), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="one D"):
        precision_recall(np.zeros((10, 2)), np.zeros((10, 3)))
