"""Types, events and beliefs (MODEL.md section 9)."""
