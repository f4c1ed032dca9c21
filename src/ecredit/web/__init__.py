"""The web layer: REST API, public portal, regulator console, reports, badges, bulletins."""
