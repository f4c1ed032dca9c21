"""Identifier checks with reasons a clerk understands.

Check digits are python-stdnum's business (GB 32100 for USCC, GB 11643 for citizen IDs,
EAN/GTIN); this module only turns its exceptions into located, bilingual reasons.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import ModuleType

from stdnum import ean
from stdnum.cn import ric, uscc
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

Checker = Callable[[str], str | None]

_REASONS: dict[type[ValidationError], str] = {
    InvalidChecksum: "校验位错误 / invalid check digit",
    InvalidLength: "长度错误 / wrong length",
    InvalidFormat: "格式错误 / invalid format",
    InvalidComponent: "包含无效的组成部分 / invalid component",
}

PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
_MOBILE = re.compile(r"1[3-9]\d{9}")
_REGION = re.compile(r"\d{6}")


def _stdnum_checker(module: ModuleType, label: str) -> Checker:
    def check(value: str) -> str | None:
        try:
            module.validate(value)
        except ValidationError as exc:
            reason = next(
                (text for cls, text in _REASONS.items() if isinstance(exc, cls)),
                "无效 / invalid",
            )
            return f"{label}{reason}"
        return None

    return check


check_uscc = _stdnum_checker(uscc, "统一社会信用代码")
check_ric = _stdnum_checker(ric, "居民身份证号码")
check_gtin = _stdnum_checker(ean, "商品条码")


def check_mobile(value: str) -> str | None:
    if _MOBILE.fullmatch(value):
        return None
    return "手机号码应为以1开头的11位数字 / mobile number must be 11 digits starting with 1"


def check_region(value: str) -> str | None:
    if _REGION.fullmatch(value) and value[:2] in PROVINCE_CODES:
        return None
    return "行政区划代码应为6位且省级代码有效 / region must be a 6-digit administrative code"
