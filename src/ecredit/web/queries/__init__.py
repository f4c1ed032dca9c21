"""Read models of the web layer: what pages and the API show, from the stored tables."""
