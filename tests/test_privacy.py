"""Masking of personal data and the resident-ID check digit."""

import pandas as pd

from geodata.io.idcard import check_char, id_checksum_ok, id_checksums_ok
from geodata.io.privacy import mask_id, mask_name, mask_phone


def test_masks_match_the_ledger_conventions() -> None:
    assert mask_name("张三明") == "张*明"
    assert mask_name("李四") == "李*"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_id("61042419900101123X") == "6104**********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name(None) is None and mask_id("") == ""


def test_resident_id_check_digit() -> None:
    assert check_char("11010519491231002") == "X"  # the standard's worked example
    assert id_checksum_ok("11010519491231002X") and id_checksum_ok("11010519491231002x")
    assert not id_checksum_ok("110105194912310021")
    assert not id_checksum_ok("1101051949123100")


def test_vectorised_check_agrees_with_the_scalar_check() -> None:
    good = "11010519491231002" + check_char("11010519491231002")
    values = pd.Series([good, good[:-1] + "0", good.lower(), "12345", None, " " + good + " ", "1101051949123100x"])
    expected = [None if pd.isna(v) else id_checksum_ok(v) for v in values]
    got = id_checksums_ok(values)
    assert got.isna().tolist() == [v is None for v in expected]
    assert got.fillna(False).tolist() == [bool(v) for v in expected]
