"""Open311 GeoReport v2: other systems (12345 hotlines, 政务服务 apps) hand matters over and read
their state back (the published specification, open311.org)."""
