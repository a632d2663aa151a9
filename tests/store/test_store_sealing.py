"""Values sealed in bulk open like values sealed one by one, each under its own nonce."""

from __future__ import annotations

import pytest

from fieldapp.store.crypto import Cipher, Tampered, new_key


def test_values_sealed_together_open_one_by_one_and_never_share_a_nonce():
    cipher = Cipher(new_key())
    values = [(f"record {i}".encode(), f"case:{i}") for i in range(500)]
    sealed = cipher.seal_many(values)
    assert [cipher.open(blob, label) for blob, (_plain, label) in zip(sealed, values)] == [p for p, _ in values]
    assert len({blob[1:13] for blob in sealed}) == len(values)
    with pytest.raises(Tampered):
        cipher.open(sealed[0], "case:1")  # a value moved to another row fails
    assert cipher.seal_many([]) == []
