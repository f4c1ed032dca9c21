"""The input kinds ecredit accepts, declared once.

This table is the contract between the synthetic world (which writes these columns), ingestion
(which validates them) and storage (which derives its tables from them). Keeping it declarative
means a new column is added in one place and every layer follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FieldType(StrEnum):
    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"
    ENUM = "enum"


class Check(StrEnum):
    """Value checks beyond the type; identifier checks delegate to python-stdnum."""

    USCC = "uscc"
    RIC = "ric"
    GTIN = "gtin"
    MOBILE = "mobile"
    REGION = "region"
    CATALOGUE = "catalogue"
    NOT_FUTURE = "not_future"


class DataClass(StrEnum):
    """Drives masking and export: see the glossary entry for personal information."""

    PUBLIC = "public"
    INTERNAL = "internal"
    PERSONAL = "personal"
    SENSITIVE = "sensitive"


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    required: bool = False
    choices: tuple[str, ...] = ()
    references: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    checks: tuple[Check, ...] = ()
    data_class: DataClass = DataClass.PUBLIC
    zh: str = ""


@dataclass(frozen=True)
class Kind:
    name: str
    zh: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    rules: tuple[str, ...] = field(default=())
    high_volume: bool = False
    """Platform exports of tens of millions of rows that only ingestion writes. Ingestion checks
    their references set-based per chunk, so their tables carry no per-row foreign-key
    triggers: four such triggers cost 7 of 9.4 s when inserting 250 k orders into PostgreSQL."""

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


SUBJECT_TYPES = ("platform", "merchant", "logistics", "courier", "agency", "consumer")
HOTLINES = ("12312", "12315", "12318", "12358", "12365")
ORDER_STATUSES = ("paid", "shipped", "delivered", "completed", "cancelled", "refunded")
RECORD_STATUSES = ("active", "disputed", "corrected", "repaired", "expired", "withdrawn")
SEVERITIES = ("positive", "minor", "general", "serious")
COMPLAINT_OUTCOMES = ("upheld", "rejected", "withdrawn", "mediated")
SOURCE_KINDS = ("platform", "department", "hotline", "monitoring", "public_report")

TEXT, INT, DEC, DAY, TIME, BOOL, ENUM = (
    FieldType.TEXT,
    FieldType.INT,
    FieldType.DECIMAL,
    FieldType.DATE,
    FieldType.DATETIME,
    FieldType.BOOL,
    FieldType.ENUM,
)
NF = (Check.NOT_FUTURE,)
INTERNAL, PERSONAL, SENSITIVE = DataClass.INTERNAL, DataClass.PERSONAL, DataClass.SENSITIVE

SUBJECTS = Kind(
    "subjects",
    "信用主体",
    ("subject_id",),
    (
        Field("subject_id", TEXT, True, max_length=64, zh="主体编号"),
        Field("subject_type", ENUM, True, SUBJECT_TYPES, zh="主体类型"),
        Field("legal_form", ENUM, True, ("organisation", "person"), zh="主体形态"),
        Field("name", TEXT, True, max_length=200, zh="名称"),
        Field("uscc", TEXT, checks=(Check.USCC,), zh="统一社会信用代码"),
        Field("ric", TEXT, checks=(Check.RIC,), data_class=SENSITIVE, zh="居民身份证号码"),
        Field("phone", TEXT, checks=(Check.MOBILE,), data_class=PERSONAL, zh="手机号码"),
        Field("region", TEXT, checks=(Check.REGION,), zh="行政区划代码"),
        Field("registered_on", DAY, True, checks=NF, zh="登记日期"),
    ),
    rules=("organisation_needs_uscc", "person_seller_needs_ric"),
)

SHOPS = Kind(
    "shops",
    "网店",
    ("shop_id",),
    (
        Field("shop_id", TEXT, True, max_length=64, zh="网店编号"),
        Field("platform_id", TEXT, True, references="subjects", zh="平台"),
        Field("merchant_id", TEXT, True, references="subjects", zh="经营者"),
        Field("name", TEXT, True, max_length=200, zh="店铺名称"),
        Field("category", TEXT, max_length=64, zh="类目"),
        Field("opened_on", DAY, True, checks=NF, zh="开店日期"),
    ),
)

PRODUCTS = Kind(
    "products",
    "商品",
    ("product_id",),
    (
        Field("product_id", TEXT, True, max_length=64, zh="商品编号"),
        Field("shop_id", TEXT, True, references="shops", zh="网店"),
        Field("gtin", TEXT, True, checks=(Check.GTIN,), zh="商品条码"),
        Field("title", TEXT, True, max_length=300, zh="商品标题"),
        Field("category", TEXT, max_length=64, zh="类目"),
        Field("list_price", DEC, True, minimum=0, zh="标价"),
        Field("listed_at", TIME, True, checks=NF, zh="上架时间"),
        Field("delisted_at", TIME, checks=NF, zh="下架时间"),
    ),
    rules=("delisted_after_listed",),
)

ORDERS = Kind(
    "orders",
    "订单",
    ("order_id",),
    (
        Field("order_id", TEXT, True, max_length=64, zh="订单编号"),
        Field("shop_id", TEXT, True, references="shops", zh="网店"),
        Field("buyer_id", TEXT, True, references="subjects", zh="买家"),
        Field("product_id", TEXT, True, references="products", zh="商品"),
        Field("quantity", INT, True, minimum=1, zh="数量"),
        Field("unit_price", DEC, True, minimum=0, zh="成交单价"),
        Field("amount", DEC, True, minimum=0, zh="订单金额"),
        Field("ordered_at", TIME, True, checks=NF, zh="下单时间"),
        Field("paid_at", TIME, checks=NF, zh="付款时间"),
        Field("shipped_at", TIME, checks=NF, zh="发货时间"),
        Field("status", ENUM, True, ORDER_STATUSES, zh="订单状态"),
        Field("cancelled_by", ENUM, choices=("buyer", "seller", "platform"), zh="取消方"),
        Field("chargeback", BOOL, zh="拒付"),
        Field("device_id", TEXT, max_length=64, data_class=INTERNAL, zh="设备标识"),
        Field("ip", TEXT, max_length=45, data_class=INTERNAL, zh="IP地址"),
        Field("address_token", TEXT, max_length=64, data_class=INTERNAL, zh="收货地址标识"),
    ),
    rules=("paid_after_ordered", "shipped_after_paid"),
    high_volume=True,
)

RATINGS = Kind(
    "ratings",
    "评价",
    ("rating_id",),
    (
        Field("rating_id", TEXT, True, max_length=64, zh="评价编号"),
        Field("order_id", TEXT, True, references="orders", zh="订单"),
        Field("direction", ENUM, True, ("buyer_to_seller", "seller_to_buyer"), zh="评价方向"),
        Field("kind", ENUM, True, ("initial", "follow_up", "reply"), zh="评价类别"),
        Field("parent_rating_id", TEXT, references="ratings", zh="原评价"),
        Field("score", INT, minimum=-1, maximum=1, zh="好中差评"),
        Field("dsr_description", INT, minimum=1, maximum=5, zh="描述相符"),
        Field("dsr_service", INT, minimum=1, maximum=5, zh="服务态度"),
        Field("dsr_logistics", INT, minimum=1, maximum=5, zh="物流服务"),
        Field("text", TEXT, max_length=500, zh="评价内容"),
        Field("rated_at", TIME, True, checks=NF, zh="评价时间"),
    ),
    rules=("initial_needs_score", "follow_up_needs_parent"),
    high_volume=True,
)

LOGISTICS = Kind(
    "logistics",
    "物流事件",
    ("event_id",),
    (
        Field("event_id", TEXT, True, max_length=64, zh="事件编号"),
        Field("order_id", TEXT, True, references="orders", zh="订单"),
        Field("carrier_id", TEXT, True, references="subjects", zh="物流企业"),
        Field("courier_id", TEXT, references="subjects", zh="快递员"),
        Field("tracking_no", TEXT, True, max_length=64, zh="运单号"),
        Field(
            "event_type",
            ENUM,
            True,
            ("pickup", "transit", "delivered", "signed", "returned"),
            zh="事件类型",
        ),
        Field("occurred_at", TIME, True, checks=NF, zh="发生时间"),
        Field("region", TEXT, checks=(Check.REGION,), zh="所在地区"),
        Field("weight_g", INT, minimum=0, zh="重量(克)"),
    ),
    high_volume=True,
)

TRAFFIC = Kind(
    "traffic",
    "店铺流量",
    ("shop_id", "day"),
    (
        Field("shop_id", TEXT, True, references="shops", zh="网店"),
        Field("day", DAY, True, checks=NF, zh="日期"),
        Field("visits", INT, True, minimum=0, zh="访问量"),
        Field("clicks", INT, True, minimum=0, zh="点击量"),
        Field("unique_visitors", INT, True, minimum=0, zh="访客数"),
    ),
    rules=("visitors_within_visits",),
    high_volume=True,
)

COMPLAINTS = Kind(
    "complaints",
    "投诉举报",
    ("complaint_id",),
    (
        Field("complaint_id", TEXT, True, max_length=64, zh="投诉编号"),
        Field("channel", ENUM, True, (*HOTLINES, "platform"), zh="渠道"),
        Field("complainant_id", TEXT, references="subjects", zh="投诉人"),
        Field("target_id", TEXT, True, references="subjects", zh="被投诉主体"),
        Field("shop_id", TEXT, references="shops", zh="网店"),
        Field("order_id", TEXT, references="orders", zh="订单"),
        Field(
            "category",
            ENUM,
            True,
            (
                "quality",
                "counterfeit",
                "not_as_described",
                "delivery",
                "refund",
                "price",
                "service",
                "fraud",
            ),
            zh="类别",
        ),
        Field("received_at", TIME, True, checks=NF, zh="受理时间"),
        Field(
            "status",
            ENUM,
            True,
            ("received", "accepted", "refused", "mediating", "resolved", "closed"),
            zh="状态",
        ),
        Field("outcome", ENUM, choices=COMPLAINT_OUTCOMES, zh="处理结果"),
        Field("resolved_at", TIME, checks=NF, zh="办结时间"),
        Field("compensation_amount", DEC, minimum=0, zh="先行赔付金额"),
        Field("text", TEXT, max_length=2000, zh="内容"),
    ),
    rules=("resolved_after_received",),
)

RECORDS = Kind(
    "records",
    "信用记录",
    ("record_id",),
    (
        Field("record_id", TEXT, True, max_length=64, zh="记录编号"),
        Field("subject_id", TEXT, True, references="subjects", zh="信用主体"),
        Field("type_code", TEXT, True, checks=(Check.CATALOGUE,), zh="记录类型"),
        Field("source_kind", ENUM, True, SOURCE_KINDS, zh="来源类别"),
        Field("source_name", TEXT, True, max_length=200, zh="来源单位"),
        Field("decided_on", DAY, True, checks=NF, zh="决定日期"),
        Field("severity", ENUM, choices=SEVERITIES, zh="失信程度"),
        Field("status", ENUM, choices=RECORD_STATUSES, zh="状态"),
        Field("act_ended_on", DAY, checks=NF, zh="行为终止日期"),
        Field("document_no", TEXT, max_length=100, zh="文书号"),
        Field("amount", DEC, minimum=0, zh="金额"),
        Field("summary", TEXT, max_length=2000, zh="摘要"),
        Field("supersedes", TEXT, references="records", zh="更正的记录"),
    ),
)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (SUBJECTS, SHOPS, PRODUCTS, ORDERS, RATINGS, LOGISTICS, TRAFFIC, COMPLAINTS, RECORDS)
}
"""In dependency order: a kind only references kinds before it (or itself)."""
