"""Redis read cache with namespaced keys."""
