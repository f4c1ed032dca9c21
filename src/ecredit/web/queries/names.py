"""Chinese and English names of codes that the kinds declare only as values."""

from __future__ import annotations

from ecredit.web.models import Label

SUBJECT_TYPES: dict[str, Label] = {
    "platform": Label(zh="电子商务平台", en="Platform"),
    "merchant": Label(zh="平台内经营者", en="Merchant"),
    "logistics": Label(zh="物流企业", en="Logistics company"),
    "courier": Label(zh="快递员", en="Courier"),
    "agency": Label(zh="信用服务机构", en="Credit agency"),
    "consumer": Label(zh="消费者", en="Consumer"),
}
SEVERITIES: dict[str, Label] = {
    "positive": Label(zh="守信", en="Positive"),
    "minor": Label(zh="轻微失信", en="Minor"),
    "general": Label(zh="一般失信", en="General"),
    "serious": Label(zh="严重失信", en="Serious"),
}
COMPLAINT_CATEGORIES: dict[str, Label] = {
    "quality": Label(zh="质量问题", en="Quality"),
    "counterfeit": Label(zh="假冒伪劣", en="Counterfeit"),
    "not_as_described": Label(zh="图物不符", en="Not as described"),
    "delivery": Label(zh="物流配送", en="Delivery"),
    "refund": Label(zh="退换货", en="Refund"),
    "price": Label(zh="价格欺诈", en="Price"),
    "service": Label(zh="服务态度", en="Service"),
    "fraud": Label(zh="诈骗", en="Fraud"),
}
DSR_DIMENSIONS: dict[str, Label] = {
    "dsr_description": Label(zh="描述相符", en="Item as described"),
    "dsr_service": Label(zh="服务态度", en="Service"),
    "dsr_logistics": Label(zh="物流服务", en="Logistics"),
}


def label(table: dict[str, Label], code: str | None) -> Label:
    return table.get(code or "", Label(zh=code or "—", en=code or "—"))
