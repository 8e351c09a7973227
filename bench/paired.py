"""Paired comparisons for the bench scripts: one method against others, seed by seed, on the same
budget; a comparison is won only where the gain reaches the margin in that seed."""

MARGIN = 0.01  # one point of accuracy


def paired_row(results, method, fields, key="test_accuracy", **head):
    """One seed's row: `head`, then each run's `fields` as "<run>_<field>", then for every other
    run the gain of `method` over it in `key` and whether it reaches MARGIN."""
    row = dict(head)
    for name, r in results.items():
        for field in fields:
            row[f"{name}_{field}"] = r[field]
    for name, r in results.items():
        if name != method:
            row[f"gain_over_{name}"] = results[method][key] - r[key]
            row[f"beats_{name}"] = row[f"gain_over_{name}"] >= MARGIN
    return row
