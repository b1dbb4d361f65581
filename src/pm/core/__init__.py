"""Pure domain: entities, enums, rules and errors. No I/O, no framework."""
