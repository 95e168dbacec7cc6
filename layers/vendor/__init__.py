"""Third-party files shipped with Battlemap (see each folder's README and LICENSE)."""
