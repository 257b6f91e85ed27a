"""The supervisors' dashboard: charts and figures over a period, explained in plain words, and their CSV."""
