"""What an outbox row says (for whichever platform sends it), and what happens when a
platform refuses one: never silence."""
