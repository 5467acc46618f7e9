-- SPDX-License-Identifier: MIT
-- MagicStack/pgbench 3-large_object; pgbench_bench.py creates the table (fixed name: a pgbench
-- variable cannot name a table under -M prepared).
SELECT * FROM _qpgbench_bytea_pgbench;
