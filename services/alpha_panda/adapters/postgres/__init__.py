"""PostgreSQL access through asyncpg, with versioned migrations."""
