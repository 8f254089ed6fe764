"""The national calendar: a year's page."""

PARAMS = {"year": lambda town: 2027}
