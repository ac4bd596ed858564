"""Plan validation: the pandera schema, plan rules and the findings report."""
