"""查询使用登记: the tamper-evident access log of personal-information reads, non-public queries
and bulk operations (seed 001 §十七, 003 §四)."""
