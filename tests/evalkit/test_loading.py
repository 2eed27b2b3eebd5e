"""evalkit.loading: what every torch adapter shares."""
import pytest

from evalkit.loading import common_prefix


@pytest.mark.parametrize("seqs, n", [
    ([[1, 2, 3], [1, 2, 4], [1, 2]], 2),
    ([[1, 2], [1, 2]], 2),
    ([[5], [6]], 0),
    ([[-1, -2, 7], [-1, -2, 7, 8]], 3),
])
def test_common_prefix(seqs, n):
    assert common_prefix(seqs) == n
