"""rasa-sdk custom actions: thin wrappers that read slots, call ``bot`` and reply."""
