"""Server-rendered pages: the public portal and the regulator console."""
