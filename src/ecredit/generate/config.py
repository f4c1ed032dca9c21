"""Knobs of the synthetic world and the entity counts derived from them."""

from __future__ import annotations

from dataclasses import dataclass

GENERATOR_VERSION = "1.0.0"


@dataclass(frozen=True)
class WorldConfig:
    """Defaults give a plausible marketplace; tests and benchmarks may override any of them.

    Counts of injected campaigns scale with the number of shops so that small worlds stay mostly
    honest and large worlds contain many independent rings.
    """

    orders_per_merchant: int = 60
    orders_per_consumer: float = 6.0
    history_days: int = 730
    traffic_days: int = 90
    chunk_orders: int = 100_000
    chunk_entities: int = 250_000
    person_seller_share: float = 0.2
    ring_densities: tuple[float, ...] = (0.2, 0.1, 0.3, 0.05, 0.5)
    shops_per_ring: int = 100
    shops_per_malicious_campaign: int = 150
    shops_per_flash_sale: int = 120
    shops_per_loyal_buyer: int = 100
    shops_per_fake_traffic: int = 100
    hub_share: float = 0.005
    special_order_budget: float = 0.2
    """Injected orders (rings, campaigns, hard negatives) may use at most this share of orders."""
