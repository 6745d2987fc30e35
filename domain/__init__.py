"""The domain vocabulary every stage shares: numerals, 文号, places, validity, terms."""
