"""The ``battlemap`` command line."""
