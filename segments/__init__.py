"""ICP and segmentation rules: condition models, rule -> polars expression, assignment."""
