"""The synthetic e-commerce world behind `ecredit generate`.

A reproducible marketplace — platforms, merchants, shops, products, consumers, orders, ratings,
logistics, traffic, complaints and administrative records — with labelled brushing rings,
malicious-review campaigns, empty parcels and fake traffic, plus hard negatives (flash sales,
loyal buyers, hub shops). Files follow the input kinds of `ecredit.records.kinds`; the truth lives
in `truth/labels.csv` and `truth/outcomes.csv` (see `ecredit.generate.truth`).
"""

from ecredit.generate.config import GENERATOR_VERSION, WorldConfig
from ecredit.generate.world import generate_world

__all__ = ["GENERATOR_VERSION", "WorldConfig", "generate_world"]
