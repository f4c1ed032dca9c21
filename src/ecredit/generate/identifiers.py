"""Valid but synthetic Chinese identifiers, computed for whole arrays at once.

The check-digit algorithms are those of python-stdnum (`stdnum.cn.uscc`, `stdnum.cn.ric`,
`stdnum.ean`) re-expressed in numpy, because calling stdnum per row would dominate generation time
for millions of products; the tests validate every generated identifier with stdnum itself.

* USCC (统一社会信用代码): ``9`` (registered by market regulation) + ``1`` (enterprise) + the
  6-digit region code + a 9-character organisation code (8 digits made unique by a bijective
  permutation of the organisation's index, plus its GB 11714 check character) + the GB 32100 check
  character.
* RIC (居民身份证号码): region code + birth date + sequence code ``000`` + check digit. Real
  sequence codes start at 001, so the ``000`` sequence marks every citizen ID in the world as
  synthetic while it still passes checksum, birth-date and birth-place validation. Region and birth
  date come from a permutation of the person's number, so no two persons share an ID.
* GTIN-13 (商品条码): ``69`` (GS1 China) + 10 digits made unique by permuting the product index +
  the EAN check digit.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ecredit.generate.columns import digit_matrix, from_matrix
from ecredit.generate.rng import permute

_USCC_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHJKLMNPQRTUWXY", dtype=np.uint8)
_USCC_WEIGHTS = np.array((1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28))
_ORG_WEIGHTS = np.array((3, 7, 9, 10, 5, 8, 4, 2))
_RIC_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)])
_RIC_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
_ORG_X = 29  # index of "X" in the USCC alphabet, the GB 11714 check character for 10

ORGANISATION_CAPACITY = 10**8
GTIN_CAPACITY = 10**10
RIC_SEQUENCE = "000"


def uscc(org_index: np.ndarray, region_codes: np.ndarray) -> pa.StringArray:
    """One USCC per organisation; `org_index` must be unique across all organisations."""
    n = len(org_index)
    body = permute(org_index, ORGANISATION_CAPACITY, key=11_714)
    org_digits = digit_matrix(body, 8).astype(np.int64) - 48
    org_check = (11 - (org_digits @ _ORG_WEIGHTS) % 11) % 11
    values = np.empty((n, 17), dtype=np.int64)
    values[:, 0] = 9
    values[:, 1] = 1
    values[:, 2:8] = digit_matrix(region_codes, 6).astype(np.int64) - 48
    values[:, 8:16] = org_digits
    values[:, 16] = np.where(org_check == 10, _ORG_X, org_check)
    check = (31 - (values @ _USCC_WEIGHTS) % 31) % 31
    chars = _USCC_ALPHABET[np.column_stack([values, check])]
    return from_matrix(chars)


def ric(region_codes: np.ndarray, birth_days: np.ndarray) -> pa.StringArray:
    """Citizen IDs from region codes and birth dates given as days since 1970-01-01."""
    n = len(region_codes)
    day = np.asarray(birth_days, dtype="datetime64[D]")
    month = day.astype("datetime64[M]")
    yyyymmdd = (
        (month.astype("datetime64[Y]").astype(np.int64) + 1970) * 10_000
        + (month.astype(np.int64) % 12 + 1) * 100
        + (day - month).astype(np.int64)
        + 1
    )
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, 0:6] = digit_matrix(region_codes, 6)
    chars[:, 6:14] = digit_matrix(yyyymmdd, 8)
    chars[:, 14:17] = np.frombuffer(RIC_SEQUENCE.encode(), dtype=np.uint8)
    total = (chars[:, :17].astype(np.int64) - 48) @ _RIC_WEIGHTS
    chars[:, 17] = _RIC_CHECK[total % 11]
    return from_matrix(chars)


def gtin13(product_index: np.ndarray) -> pa.StringArray:
    n = len(product_index)
    chars = np.empty((n, 13), dtype=np.uint8)
    chars[:, 0:2] = np.frombuffer(b"69", dtype=np.uint8)
    chars[:, 2:12] = digit_matrix(permute(product_index, GTIN_CAPACITY, key=690), 10)
    digits = chars[:, :12].astype(np.int64) - 48
    weighted = digits[:, 1::2].sum(axis=1) * 3 + digits[:, 0::2].sum(axis=1)
    chars[:, 12] = 48 + (10 - weighted % 10) % 10
    return from_matrix(chars)
