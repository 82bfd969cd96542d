"""Rule types, one module each; `alerts.registry.rule_types()` loads and lists them."""
