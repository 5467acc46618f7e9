-- SPDX-License-Identifier: MIT
-- The server ceiling for the pool's fetchval("SELECT 1") (pgbench has no pool: one client per
-- connection).
SELECT 1;
