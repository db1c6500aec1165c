"""Types, events and beliefs (docs/model.md, "Types and beliefs")."""
