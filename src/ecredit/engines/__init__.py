"""Query engines behind one interface: see `base` (the interface) and `common.open_engine`."""
